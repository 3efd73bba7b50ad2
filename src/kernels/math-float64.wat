;; Float64 e^x and log x on two lanes at a time (f64x2), bit for bit fdlibm's e_exp.c and e_log.c,
;; the algorithms behind V8's Math.exp and Math.log: the same reductions, polynomials and
;; operations in the same order, so a kernel that takes them gives what the float64 TypeScript
;; path gives with Math (test/kernels/math-float64.test.ts compares 800,000 random points and
;; the neighbours of every branch boundary, the subnormal, overflow and special values included;
;; a development run compared 64 million; none differed in any bit).
;;
;; fdlibm branches on the argument; here every lane computes each branch it may need and the
;; lanes pick theirs with bitselect. Integer work on the high word (hx in fdlibm) is done on i64
;; lanes holding that word sign-extended, so the comparisons are fdlibm's int32 ones.
;; A fragment of the gloss kernel module (see memory.wat); both functions are `;; @inline`
;; (scripts/wat-inline.mjs), after math.wat.

  ;; ---- constants (fdlibm's, as decimal literals of the same doubles) -----------------------

  (global $d.one v128 (v128.const f64x2 1 1))
  (global $d.two v128 (v128.const f64x2 2 2))
  (global $d.half v128 (v128.const f64x2 0.5 0.5))
  (global $d.zero v128 (v128.const f64x2 0 0))
  (global $d.infinity v128 (v128.const f64x2 inf inf))
  (global $d.negativeInfinity v128 (v128.const f64x2 -inf -inf))
  (global $d.ln2High v128 (v128.const f64x2 6.93147180369123816490e-01 6.93147180369123816490e-01))
  (global $d.ln2Low v128 (v128.const f64x2 1.90821492927058770002e-10 1.90821492927058770002e-10))
  (global $d.highWordMask v128 (v128.const i64x2 0xffffffff 0xffffffff))

  ;; log: 2^54 scales a subnormal argument into the normal range.
  (global $d.twoTo54 v128 (v128.const f64x2 1.80143985094819840000e+16 1.80143985094819840000e+16))
  (global $d.smallestNormal v128 (v128.const f64x2 2.2250738585072014e-308 2.2250738585072014e-308))
  (global $d.minus54 v128 (v128.const i64x2 -54 -54))
  (global $d.exponentBias v128 (v128.const i64x2 1023 1023))
  (global $d.mantissaHigh v128 (v128.const i64x2 0x000fffff 0x000fffff))
  (global $d.sqrt2Offset v128 (v128.const i64x2 0x95f64 0x95f64))
  (global $d.unitBit v128 (v128.const i64x2 0x100000 0x100000))
  (global $d.oneHighWord v128 (v128.const i64x2 0x3ff00000 0x3ff00000))
  (global $d.intervalLow v128 (v128.const i64x2 0x6147a 0x6147a))
  (global $d.intervalHigh v128 (v128.const i64x2 0x6b851 0x6b851))
  (global $d.twoI64 v128 (v128.const i64x2 2 2))
  (global $d.threeI64 v128 (v128.const i64x2 3 3))
  (global $d.third v128 (v128.const f64x2 0.33333333333333333 0.33333333333333333))
  (global $d.lg1 v128 (v128.const f64x2 6.666666666666735130e-01 6.666666666666735130e-01))
  (global $d.lg2 v128 (v128.const f64x2 3.999999999940941908e-01 3.999999999940941908e-01))
  (global $d.lg3 v128 (v128.const f64x2 2.857142874366239149e-01 2.857142874366239149e-01))
  (global $d.lg4 v128 (v128.const f64x2 2.222219843214978396e-01 2.222219843214978396e-01))
  (global $d.lg5 v128 (v128.const f64x2 1.818357216161805012e-01 1.818357216161805012e-01))
  (global $d.lg6 v128 (v128.const f64x2 1.531383769920937332e-01 1.531383769920937332e-01))
  (global $d.lg7 v128 (v128.const f64x2 1.479819860511658591e-01 1.479819860511658591e-01))

  ;; exp: beyond these e^x is +Infinity or 0; |x| ≤ 0.5·ln2 needs no reduction, |x| < 1.5·ln2
  ;; reduces by ±ln2 (k = ±1), |x| < 2^−28 gives 1 + x (high words, with the sign cleared).
  (global $d.overflowThreshold v128 (v128.const f64x2 7.09782712893383973096e+02 7.09782712893383973096e+02))
  (global $d.underflowThreshold v128 (v128.const f64x2 -7.45133219101941108420e+02 -7.45133219101941108420e+02))
  (global $d.absMask v128 (v128.const i64x2 0x7fffffff 0x7fffffff))
  (global $d.halfLn2Word v128 (v128.const i64x2 0x3fd62e42 0x3fd62e42))
  (global $d.threeHalvesLn2Word v128 (v128.const i64x2 0x3ff0a2b2 0x3ff0a2b2))
  (global $d.tinyWord v128 (v128.const i64x2 0x3e300000 0x3e300000))
  (global $d.invLn2 v128 (v128.const f64x2 1.44269504088896338700e+00 1.44269504088896338700e+00))
  (global $d.p1 v128 (v128.const f64x2 1.66666666666666019037e-01 1.66666666666666019037e-01))
  (global $d.p2 v128 (v128.const f64x2 -2.77777777770155933842e-03 -2.77777777770155933842e-03))
  (global $d.p3 v128 (v128.const f64x2 6.61375632143793436117e-05 6.61375632143793436117e-05))
  (global $d.p4 v128 (v128.const f64x2 -1.65339022054652515390e-06 -1.65339022054652515390e-06))
  (global $d.p5 v128 (v128.const f64x2 4.13813679705723846039e-08 4.13813679705723846039e-08))
  (global $d.oneI64 v128 (v128.const i64x2 1 1))
  (global $d.lowestNormalK v128 (v128.const i64x2 -1021 -1021))
  (global $d.highestK v128 (v128.const i64x2 1024 1024))
  (global $d.shiftedBias v128 (v128.const i64x2 2023 2023))
  (global $d.twoToMinus1000 v128 (v128.const f64x2 9.33263618503218878990e-302 9.33263618503218878990e-302))
  (global $d.twoTo1023 v128 (v128.const f64x2 8.98846567431158e307 8.98846567431158e307))
  ;; V8's Math.exp returns Math.E for exactly 1 (fdlibm's polynomial gives 1 ulp more).
  (global $d.e v128 (v128.const f64x2 2.718281828459045 2.718281828459045))

  ;; The low 32 bits of each i64 lane as the two low int32 lanes (for f64x2.convert_low_i32x4_s).
  ;; @inline
  (func $lowWordsAsDoubles (param $k v128) (result v128)
    (f64x2.convert_low_i32x4_s
      (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $k) (local.get $k)))
  )

  ;; ---- log x: fdlibm e_log.c ------------------------------------------------------------------
  ;; x = 2^k · (1 + f) with 1 + f in [√2/2, √2); log(1 + f) = f − s·(f − R) or, away from 1, with
  ;; hfsq = f²/2, f − (hfsq − s·(hfsq + R)), s = f/(2 + f), R the Remez polynomial in s²; then
  ;; k·ln2 added in two parts (ln2High has trailing zeros, so k·ln2High is exact). |f| < 2^−20
  ;; takes the short series f − f²·(1/2 − f/3).
  ;; @inline
  (func $logF64x2 (param $x v128) (result v128)
    (local $subnormal v128) (local $scaled v128) (local $hx v128) (local $k v128) (local $i v128)
    (local $f v128) (local $dk v128) (local $s v128) (local $z v128) (local $w v128) (local $r v128)
    (local $hfsq v128) (local $kHigh v128) (local $kLow v128) (local $kIsZero v128)
    (local $near v128) (local $wide v128) (local $short v128) (local $result v128)
    (local.set $subnormal
      (v128.and (f64x2.lt (local.get $x) (global.get $d.smallestNormal)) (f64x2.gt (local.get $x) (global.get $d.zero))))
    (local.set $scaled
      (v128.bitselect (f64x2.mul (local.get $x) (global.get $d.twoTo54)) (local.get $x) (local.get $subnormal)))
    (local.set $hx (i64x2.shr_s (local.get $scaled) (i32.const 32)))
    (local.set $k
      (i64x2.add
        (i64x2.sub (i64x2.shr_s (local.get $hx) (i32.const 20)) (global.get $d.exponentBias))
        (v128.and (global.get $d.minus54) (local.get $subnormal))))
    (local.set $hx (v128.and (local.get $hx) (global.get $d.mantissaHigh)))
    (local.set $i (v128.and (i64x2.add (local.get $hx) (global.get $d.sqrt2Offset)) (global.get $d.unitBit)))
    (local.set $k (i64x2.add (local.get $k) (i64x2.shr_s (local.get $i) (i32.const 20))))
    ;; 1 + f: the high word hx | (i ^ 0x3ff00000), the low word kept.
    (local.set $f
      (f64x2.sub
        (v128.or
          (i64x2.shl (v128.or (local.get $hx) (v128.xor (local.get $i) (global.get $d.oneHighWord))) (i32.const 32))
          (v128.and (local.get $scaled) (global.get $d.highWordMask)))
        (global.get $d.one)))
    (local.set $dk (call $lowWordsAsDoubles (local.get $k)))
    (local.set $kIsZero (i64x2.eq (local.get $k) (global.get $d.zero)))
    (local.set $kHigh (f64x2.mul (local.get $dk) (global.get $d.ln2High)))
    (local.set $kLow (f64x2.mul (local.get $dk) (global.get $d.ln2Low)))
    ;; The general case.
    (local.set $s (f64x2.div (local.get $f) (f64x2.add (global.get $d.two) (local.get $f))))
    (local.set $z (f64x2.mul (local.get $s) (local.get $s)))
    (local.set $w (f64x2.mul (local.get $z) (local.get $z)))
    (local.set $r
      (f64x2.add
        (f64x2.mul (local.get $z)
          (f64x2.add (global.get $d.lg1) (f64x2.mul (local.get $w)
            (f64x2.add (global.get $d.lg3) (f64x2.mul (local.get $w)
              (f64x2.add (global.get $d.lg5) (f64x2.mul (local.get $w) (global.get $d.lg7))))))))
        (f64x2.mul (local.get $w)
          (f64x2.add (global.get $d.lg2) (f64x2.mul (local.get $w)
            (f64x2.add (global.get $d.lg4) (f64x2.mul (local.get $w) (global.get $d.lg6))))))))
    (local.set $hfsq (f64x2.mul (f64x2.mul (global.get $d.half) (local.get $f)) (local.get $f)))
    ;; Away from 1 (fdlibm's i > 0): (hx − 0x6147a) | (0x6b851 − hx) > 0.
    (local.set $wide
      (i64x2.gt_s
        (v128.or (i64x2.sub (local.get $hx) (global.get $d.intervalLow)) (i64x2.sub (global.get $d.intervalHigh) (local.get $hx)))
        (global.get $d.zero)))
    (local.set $near
      (v128.bitselect
        ;; k = 0: f − (hfsq − s·(hfsq + R)); else k·ln2High − ((hfsq − (s·(hfsq + R) + k·ln2Low)) − f)
        (v128.bitselect
          (f64x2.sub (local.get $f)
            (f64x2.sub (local.get $hfsq) (f64x2.mul (local.get $s) (f64x2.add (local.get $hfsq) (local.get $r)))))
          (f64x2.sub (local.get $kHigh)
            (f64x2.sub
              (f64x2.sub (local.get $hfsq)
                (f64x2.add (f64x2.mul (local.get $s) (f64x2.add (local.get $hfsq) (local.get $r))) (local.get $kLow)))
              (local.get $f)))
          (local.get $kIsZero))
        ;; k = 0: f − s·(f − R); else k·ln2High − ((s·(f − R) − k·ln2Low) − f)
        (v128.bitselect
          (f64x2.sub (local.get $f) (f64x2.mul (local.get $s) (f64x2.sub (local.get $f) (local.get $r))))
          (f64x2.sub (local.get $kHigh)
            (f64x2.sub
              (f64x2.sub (f64x2.mul (local.get $s) (f64x2.sub (local.get $f) (local.get $r))) (local.get $kLow))
              (local.get $f)))
          (local.get $kIsZero))
        (local.get $wide)))
    ;; |f| < 2^−20 (fdlibm: (0x000fffff & (2 + hx)) < 3): R = f²·(1/2 − f/3).
    (local.set $r
      (f64x2.mul (f64x2.mul (local.get $f) (local.get $f))
        (f64x2.sub (global.get $d.half) (f64x2.mul (global.get $d.third) (local.get $f)))))
    (local.set $short
      (v128.bitselect
        ;; f = 0: 0 for k = 0, else k·ln2High + k·ln2Low
        (v128.bitselect
          (global.get $d.zero)
          (f64x2.add (local.get $kHigh) (local.get $kLow))
          (local.get $kIsZero))
        ;; k = 0: f − R; else k·ln2High − ((R − k·ln2Low) − f)
        (v128.bitselect
          (f64x2.sub (local.get $f) (local.get $r))
          (f64x2.sub (local.get $kHigh)
            (f64x2.sub (f64x2.sub (local.get $r) (local.get $kLow)) (local.get $f)))
          (local.get $kIsZero))
        (f64x2.eq (local.get $f) (global.get $d.zero))))
    (local.set $result
      (v128.bitselect
        (local.get $short)
        (local.get $near)
        (i64x2.lt_s
          (v128.and (i64x2.add (global.get $d.twoI64) (local.get $hx)) (global.get $d.mantissaHigh))
          (global.get $d.threeI64))))
    ;; +Infinity and NaN: x + x; below 0: NaN ((x − x)/0); ±0: −Infinity.
    (local.set $result
      (v128.bitselect
        (f64x2.add (local.get $x) (local.get $x))
        (local.get $result)
        (v128.or (f64x2.eq (local.get $x) (global.get $d.infinity)) (f64x2.ne (local.get $x) (local.get $x)))))
    (local.set $result
      (v128.bitselect
        (f64x2.div (f64x2.sub (local.get $x) (local.get $x)) (global.get $d.zero))
        (local.get $result)
        (f64x2.lt (local.get $x) (global.get $d.zero))))
    (v128.bitselect
      (global.get $d.negativeInfinity)
      (local.get $result)
      (f64x2.eq (local.get $x) (global.get $d.zero)))
  )

  ;; ---- e^x: fdlibm e_exp.c --------------------------------------------------------------------
  ;; x = k·ln2 + r with r = hi − lo (hi = x − k·ln2High, lo = k·ln2Low; k = ±1 below 1.5·ln2,
  ;; else trunc(x/ln2 ± 1/2)); e^r = 1 + r + r·c/(2 − c) with c = r − r²·P(r²) (Remez), then
  ;; scaled by 2^k, through 2^(k+1000)·2^−1000 when 2^k is subnormal and 2·2^1023 when k = 1024.
  ;; One division serves both forms: r·c/(c − 2) is −(r·c/(2 − c)) exactly.
  ;; @inline
  (func $expF64x2 (param $x v128) (result v128)
    (local $hx v128) (local $negative v128) (local $reduced v128) (local $large v128) (local $kOne v128)
    (local $k v128) (local $dk v128) (local $hi v128) (local $lo v128) (local $r v128) (local $t v128)
    (local $c v128) (local $q v128) (local $y v128) (local $scale v128) (local $factor v128) (local $result v128)
    (local.set $hx (i64x2.shr_s (local.get $x) (i32.const 32)))
    (local.set $negative (i64x2.lt_s (local.get $hx) (global.get $d.zero)))
    (local.set $hx (v128.and (local.get $hx) (global.get $d.absMask)))
    (local.set $reduced (i64x2.gt_s (local.get $hx) (global.get $d.halfLn2Word)))
    (local.set $large (i64x2.ge_s (local.get $hx) (global.get $d.threeHalvesLn2Word)))
    ;; k = trunc(x/ln2 ± 1/2) where large; ±1 where reduced only; 0 elsewhere.
    (local.set $dk
      (f64x2.convert_low_i32x4_s
        (i32x4.trunc_sat_f64x2_s_zero
          (f64x2.add
            (f64x2.mul (global.get $d.invLn2) (local.get $x))
            (v128.bitselect (f64x2.neg (global.get $d.half)) (global.get $d.half) (local.get $negative))))))
    (local.set $kOne (v128.bitselect (i64x2.neg (global.get $d.oneI64)) (global.get $d.oneI64) (local.get $negative)))
    (local.set $k
      (v128.and
        (v128.bitselect
          (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $dk)))
          (local.get $kOne)
          (local.get $large))
        (local.get $reduced)))
    ;; hi and lo: x ∓ ln2High and ±ln2Low for k = ±1, x − k·ln2High and k·ln2Low for large |x|.
    (local.set $hi
      (v128.bitselect
        (f64x2.sub (local.get $x) (f64x2.mul (local.get $dk) (global.get $d.ln2High)))
        (f64x2.sub (local.get $x)
          (v128.bitselect (f64x2.neg (global.get $d.ln2High)) (global.get $d.ln2High) (local.get $negative)))
        (local.get $large)))
    (local.set $lo
      (v128.bitselect
        (f64x2.mul (local.get $dk) (global.get $d.ln2Low))
        (v128.bitselect (f64x2.neg (global.get $d.ln2Low)) (global.get $d.ln2Low) (local.get $negative))
        (local.get $large)))
    (local.set $r
      (v128.bitselect (f64x2.sub (local.get $hi) (local.get $lo)) (local.get $x) (local.get $reduced)))
    (local.set $t (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $c
      (f64x2.sub (local.get $r)
        (f64x2.mul (local.get $t)
          (f64x2.add (global.get $d.p1) (f64x2.mul (local.get $t)
            (f64x2.add (global.get $d.p2) (f64x2.mul (local.get $t)
              (f64x2.add (global.get $d.p3) (f64x2.mul (local.get $t)
                (f64x2.add (global.get $d.p4) (f64x2.mul (local.get $t) (global.get $d.p5))))))))))))
    ;; q = r·c/(2 − c)
    (local.set $q
      (f64x2.div (f64x2.mul (local.get $r) (local.get $c)) (f64x2.sub (global.get $d.two) (local.get $c))))
    ;; k = 0: 1 − (r·c/(c − 2) − r) = 1 − (−q − r); else 1 − ((lo − q) − hi), scaled.
    (local.set $y
      (f64x2.sub (global.get $d.one) (f64x2.sub (f64x2.sub (local.get $lo) (local.get $q)) (local.get $hi))))
    ;; 2^k as bits (k + 1023) << 52, or 2^(k+1000) (then · 2^−1000) below k = −1021, or 2 (then
    ;; · 2^1023) for k = 1024; the second factor is 1 otherwise (exact).
    (local.set $scale
      (v128.bitselect
        (i64x2.shl (i64x2.add (local.get $k) (global.get $d.shiftedBias)) (i32.const 52))
        (i64x2.shl (i64x2.add (local.get $k) (global.get $d.exponentBias)) (i32.const 52))
        (i64x2.lt_s (local.get $k) (global.get $d.lowestNormalK))))
    (local.set $factor
      (v128.bitselect (global.get $d.twoToMinus1000) (global.get $d.one) (i64x2.lt_s (local.get $k) (global.get $d.lowestNormalK))))
    (local.set $scale
      (v128.bitselect (global.get $d.two) (local.get $scale) (i64x2.eq (local.get $k) (global.get $d.highestK))))
    (local.set $factor
      (v128.bitselect (global.get $d.twoTo1023) (local.get $factor) (i64x2.eq (local.get $k) (global.get $d.highestK))))
    (local.set $result
      (v128.bitselect
        (f64x2.sub (global.get $d.one)
          (f64x2.sub (f64x2.neg (local.get $q)) (local.get $r)))
        (f64x2.mul (f64x2.mul (local.get $y) (local.get $scale)) (local.get $factor))
        (i64x2.eq (local.get $k) (global.get $d.zero))))
    ;; |x| < 2^−28: 1 + x.
    (local.set $result
      (v128.bitselect
        (f64x2.add (global.get $d.one) (local.get $x))
        (local.get $result)
        (i64x2.lt_s (local.get $hx) (global.get $d.tinyWord))))
    (local.set $result (v128.bitselect (global.get $d.e) (local.get $result) (f64x2.eq (local.get $x) (global.get $d.one))))
    (local.set $result
      (v128.bitselect (global.get $d.infinity) (local.get $result) (f64x2.gt (local.get $x) (global.get $d.overflowThreshold))))
    (local.set $result
      (v128.bitselect (global.get $d.zero) (local.get $result) (f64x2.lt (local.get $x) (global.get $d.underflowThreshold))))
    (v128.bitselect
      (f64x2.add (local.get $x) (local.get $x))
      (local.get $result)
      (f64x2.ne (local.get $x) (local.get $x)))
  )

  ;; ---- fast paths --------------------------------------------------------------------------
  ;; The same results for the arguments that take fdlibm's main branch, with the other branches'
  ;; work left out; the kernels take them for a pair whose lanes both qualify ($expFastPair,
  ;; $logFastPair) and the full functions above otherwise. Integer work is on i32 lanes of the
  ;; high words (lanes 1 and 3: the low words' lanes carry junk that is masked off).

  (global $d.highWords v128 (v128.const i32x4 0 -1 0 -1))
  (global $d.mantissaHigh32 v128 (v128.const i32x4 0x000fffff 0x000fffff 0x000fffff 0x000fffff))
  (global $d.sqrt2Offset32 v128 (v128.const i32x4 0x95f64 0x95f64 0x95f64 0x95f64))
  (global $d.unitBit32 v128 (v128.const i32x4 0x100000 0x100000 0x100000 0x100000))
  (global $d.oneHighWord32 v128 (v128.const i32x4 0x3ff00000 0x3ff00000 0x3ff00000 0x3ff00000))
  (global $d.exponentBias32 v128 (v128.const i32x4 1023 1023 1023 1023))
  (global $d.intervalLow32 v128 (v128.const i32x4 0x6147a 0x6147a 0x6147a 0x6147a))
  (global $d.intervalHigh32 v128 (v128.const i32x4 0x6b851 0x6b851 0x6b851 0x6b851))
  (global $d.normalSpan32 v128 (v128.const i32x4 0x7fe00000 0x7fe00000 0x7fe00000 0x7fe00000))
  (global $d.two32 v128 (v128.const i32x4 2 2 2 2))
  (global $d.three32 v128 (v128.const i32x4 3 3 3 3))
  (global $d.signBit v128 (v128.const i64x2 0x8000000000000000 0x8000000000000000))
  ;; Inside [−707, 709], k stays in [−1020, 1023], where 2^k is one normal double.
  (global $d.twoToMinus28 v128 (v128.const f64x2 3.725290298461914e-9 3.725290298461914e-9))
  (global $d.fastExpLowest v128 (v128.const f64x2 -707 -707))
  (global $d.fastExpHighest v128 (v128.const f64x2 709 709))
  ;; 1.5·2^52: trunc(t) + this holds the integer in its low bits; minus its bits, plus 1023.
  (global $d.roundingShift v128 (v128.const f64x2 6755399441055744 6755399441055744))
  (global $d.scaleBias v128 (v128.const i64x2 -4843621399236967425 -4843621399236967425))

  ;; Whether both lanes are in [−707, 709] (not NaN), where $expFastF64x2 is $expF64x2.
  ;; @inline
  (func $expFastPair (param $x v128) (result i32)
    (i64x2.all_true
      (v128.and
        (f64x2.ge (local.get $x) (global.get $d.fastExpLowest))
        (f64x2.le (local.get $x) (global.get $d.fastExpHighest))))
  )

  ;; $expF64x2 for lanes in [−707, 709]: k = trunc(x/ln2 ± 1/2), hi = x − k·ln2High, lo = k·ln2Low,
  ;; then 2^k · (1 − ((lo − r·c/(2 − c)) − hi)), for all of e_exp.c's branches at once: for
  ;; 0.5·ln2 < |x| < 1.5·ln2 that k is ±1 and hi, lo are fdlibm's x ∓ ln2High, ±ln2Low; for
  ;; |x| ≤ 0.5·ln2 it is ±0, r is x and 1 − ((±0 − q) − x) is fdlibm's 1 − (x·c/(c − 2) − x);
  ;; below 2^−28 fdlibm's 1 + x and V8's e for exactly 1 are picked at the end.
  ;; @inline
  (func $expFastF64x2 (param $x v128) (result v128)
    (local $kd v128) (local $hi v128) (local $lo v128) (local $r v128) (local $t v128) (local $c v128)
    (local.set $kd
      (f64x2.trunc
        (f64x2.add
          (f64x2.mul (global.get $d.invLn2) (local.get $x))
          (v128.or (global.get $d.half) (v128.and (local.get $x) (global.get $d.signBit))))))
    (local.set $hi (f64x2.sub (local.get $x) (f64x2.mul (local.get $kd) (global.get $d.ln2High))))
    (local.set $lo (f64x2.mul (local.get $kd) (global.get $d.ln2Low)))
    (local.set $r (f64x2.sub (local.get $hi) (local.get $lo)))
    (local.set $t (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $c
      (f64x2.sub (local.get $r)
        (f64x2.mul (local.get $t)
          (f64x2.add (global.get $d.p1) (f64x2.mul (local.get $t)
            (f64x2.add (global.get $d.p2) (f64x2.mul (local.get $t)
              (f64x2.add (global.get $d.p3) (f64x2.mul (local.get $t)
                (f64x2.add (global.get $d.p4) (f64x2.mul (local.get $t) (global.get $d.p5))))))))))))
    (local.set $c
      (f64x2.mul
        (f64x2.sub (global.get $d.one)
          (f64x2.sub
            (f64x2.sub (local.get $lo)
              (f64x2.div (f64x2.mul (local.get $r) (local.get $c)) (f64x2.sub (global.get $d.two) (local.get $c))))
            (local.get $hi)))
        ;; 2^k: the bits of k + 1.5·2^52 less those of 1.5·2^52, plus 1023, shifted to the exponent.
        (i64x2.shl (i64x2.add (f64x2.add (local.get $kd) (global.get $d.roundingShift)) (global.get $d.scaleBias)) (i32.const 52))))
    (local.set $c
      (v128.bitselect
        (f64x2.add (global.get $d.one) (local.get $x))
        (local.get $c)
        (f64x2.lt (f64x2.abs (local.get $x)) (global.get $d.twoToMinus28))))
    (v128.bitselect (global.get $d.e) (local.get $c) (f64x2.eq (local.get $x) (global.get $d.one)))
  )

  ;; Whether both lanes are positive normal doubles away from 1 (e_log.c's main branch): on the
  ;; high words, hx − 0x00100000 below 0x7fe00000 unsigned, and not (0x000fffff & (2 + hx)) < 3
  ;; (|f| < 2^−20).
  ;; @inline
  (func $logFastPair (param $x v128) (result i32)
    (i32.eqz
      (v128.any_true
        (v128.and
          (v128.or
            (i32x4.ge_u (i32x4.sub (local.get $x) (global.get $d.unitBit32)) (global.get $d.normalSpan32))
            (i32x4.lt_s
              (v128.and (i32x4.add (global.get $d.two32) (local.get $x)) (global.get $d.mantissaHigh32))
              (global.get $d.three32)))
          (global.get $d.highWords))))
  )

  ;; $logF64x2 for lanes that pass $logFastPair. With k = 0 the k·ln2 terms are +0 and fdlibm's
  ;; k = 0 forms are the same numbers: 0 − (A − f) is f − A exactly (rounding is symmetric).
  ;; @inline
  (func $logFastF64x2 (param $x v128) (result v128)
    (local $hx v128) (local $i v128) (local $k v128) (local $f v128) (local $dk v128)
    (local $s v128) (local $z v128) (local $w v128) (local $r v128) (local $hfsq v128) (local $wide v128)
    (local.set $hx (v128.and (local.get $x) (global.get $d.mantissaHigh32)))
    (local.set $i (v128.and (i32x4.add (local.get $hx) (global.get $d.sqrt2Offset32)) (global.get $d.unitBit32)))
    (local.set $k
      (i32x4.add
        (i32x4.sub (i32x4.shr_s (local.get $x) (i32.const 20)) (global.get $d.exponentBias32))
        (i32x4.shr_u (local.get $i) (i32.const 20))))
    (local.set $f
      (f64x2.sub
        (v128.bitselect
          (v128.or (local.get $hx) (v128.xor (local.get $i) (global.get $d.oneHighWord32)))
          (local.get $x)
          (global.get $d.highWords))
        (global.get $d.one)))
    (local.set $dk
      (f64x2.convert_low_i32x4_s (i8x16.shuffle 4 5 6 7 12 13 14 15 4 5 6 7 12 13 14 15 (local.get $k) (local.get $k))))
    (local.set $s (f64x2.div (local.get $f) (f64x2.add (global.get $d.two) (local.get $f))))
    (local.set $z (f64x2.mul (local.get $s) (local.get $s)))
    (local.set $w (f64x2.mul (local.get $z) (local.get $z)))
    (local.set $r
      (f64x2.add
        (f64x2.mul (local.get $z)
          (f64x2.add (global.get $d.lg1) (f64x2.mul (local.get $w)
            (f64x2.add (global.get $d.lg3) (f64x2.mul (local.get $w)
              (f64x2.add (global.get $d.lg5) (f64x2.mul (local.get $w) (global.get $d.lg7))))))))
        (f64x2.mul (local.get $w)
          (f64x2.add (global.get $d.lg2) (f64x2.mul (local.get $w)
            (f64x2.add (global.get $d.lg4) (f64x2.mul (local.get $w) (global.get $d.lg6))))))))
    (local.set $hfsq (f64x2.mul (f64x2.mul (global.get $d.half) (local.get $f)) (local.get $f)))
    ;; (hx − 0x6147a) | (0x6b851 − hx) > 0 on the high words, spread to both halves of a lane.
    (local.set $wide
      (i32x4.gt_s
        (v128.or (i32x4.sub (local.get $hx) (global.get $d.intervalLow32)) (i32x4.sub (global.get $d.intervalHigh32) (local.get $hx)))
        (global.get $d.zero)))
    (local.set $wide (i8x16.shuffle 4 5 6 7 4 5 6 7 12 13 14 15 12 13 14 15 (local.get $wide) (local.get $wide)))
    (v128.bitselect
      (f64x2.sub (f64x2.mul (local.get $dk) (global.get $d.ln2High))
        (f64x2.sub
          (f64x2.sub (local.get $hfsq)
            (f64x2.add (f64x2.mul (local.get $s) (f64x2.add (local.get $hfsq) (local.get $r)))
              (f64x2.mul (local.get $dk) (global.get $d.ln2Low))))
          (local.get $f)))
      (f64x2.sub (f64x2.mul (local.get $dk) (global.get $d.ln2High))
        (f64x2.sub
          (f64x2.sub (f64x2.mul (local.get $s) (f64x2.sub (local.get $f) (local.get $r)))
            (f64x2.mul (local.get $dk) (global.get $d.ln2Low)))
          (local.get $f)))
      (local.get $wide))
  )

  ;; The full functions out of line (not inlined): a call only for the rare pair that needs
  ;; them, and loops whose registers hold the fast path alone.
  (func $expSlowPair (param $x v128) (result v128)
    (call $expF64x2 (local.get $x))
  )

  (func $logSlowPair (param $x v128) (result v128)
    (call $logF64x2 (local.get $x))
  )

  ;; e^x and log x of a pair: the fast path when both lanes qualify, else the full function.
  ;; @inline
  (func $expPairF64 (param $x v128) (result v128)
    (if (result v128) (call $expFastPair (local.get $x))
      (then (call $expFastF64x2 (local.get $x)))
      (else (call $expSlowPair (local.get $x))))
  )

  ;; @inline
  (func $logPairF64 (param $x v128) (result v128)
    (if (result v128) (call $logFastPair (local.get $x))
      (then (call $logFastF64x2 (local.get $x)))
      (else (call $logSlowPair (local.get $x))))
  )

  ;; ---- kernels --------------------------------------------------------------------------------

  ;; Two elements of a float32 ($float32 ≠ 0) or float64 array at `at`, as doubles.
  ;; @inline
  (func $loadPairF64 (param $at i32) (param $float32 i32) (result v128)
    (if (result v128) (local.get $float32)
      (then (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $at))))
      (else (v128.load (local.get $at))))
  )
