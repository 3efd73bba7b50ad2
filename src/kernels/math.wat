;; Vectorised float32 transcendental functions on four lanes at a time (f32x4).
;;
;; A fragment of the gloss kernel module: scripts/build-wasm.mjs concatenates the .wat fragments
;; of src/kernels (memory.wat first) inside one `(module ...)`, so every kernel can call these.
;;
;; Accuracy (test/kernels/math.test.ts checks millions of points against Math.exp/Math.log rounded
;; to float32, subnormals and the overflow edges included): exp and log are within 1 ulp, log1p,
;; softplus and sigmoid within 2 ulp. NaN in gives NaN out in every lane function.
;;
;; Constants live in immutable v128 globals: V8 reads a global with one load, while it builds
;; each inline v128.const from immediates with several instructions. Every function here is
;; marked `;; @inline`: scripts/wat-inline.mjs expands its calls at build time (V8 does not
;; inline wasm calls), so each must set its locals before reading them.

  ;; ---- constants --------------------------------------------------------------------------

  (global $one v128 (v128.const f32x4 1 1 1 1))
  (global $half v128 (v128.const f32x4 0.5 0.5 0.5 0.5))
  (global $two v128 (v128.const f32x4 2 2 2 2))
  (global $signMask v128 (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
  (global $positiveInfinity v128 (v128.const f32x4 inf inf inf inf))
  (global $negativeInfinity v128 (v128.const f32x4 -inf -inf -inf -inf))
  (global $quietNaN v128 (v128.const f32x4 nan nan nan nan))

  ;; exp: below −104 every result rounds to 0, above 89 to +Infinity; clamping there keeps the
  ;; exponent arithmetic inside int32 and the two scale factors inside the normal range.
  (global $expLowest v128 (v128.const f32x4 -104 -104 -104 -104))
  (global $expHighest v128 (v128.const f32x4 89 89 89 89))
  ;; 1.5 · 2^23: adding it rounds a float of magnitude < 2^22 to an integer (see $exp4).
  (global $roundingShift v128 (v128.const f32x4 12582912 12582912 12582912 12582912))
  (global $log2e v128 (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
  ;; ln 2 = ln2High + ln2Low (Cody–Waite): ln2High has 9 significant bits, so n · ln2High is exact
  ;; for |n| ≤ 2^15 and the reduction x − n · ln2High loses nothing.
  (global $ln2High v128 (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
  (global $ln2Low v128 (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))
  ;; Cephes expf minimax coefficients for e^r on |r| ≤ ln2/2: e^r ≈ 1 + r + r²·P(r).
  (global $expP0 v128 (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
  (global $expP1 v128 (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3))
  (global $expP2 v128 (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3))
  (global $expP3 v128 (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2))
  (global $expP4 v128 (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1))
  (global $expP5 v128 (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1))
  (global $exponentBias v128 (v128.const i32x4 127 127 127 127))
  ;; $expNonPositive4: 1.5 · 2^23 + 127 + 64, so that the rounded sum's bits, shifted left by 23,
  ;; are those of 2^(n + 64) (see there); its coefficients fit (e^r − 1)/r on |r| ≤ ln2/2 to a
  ;; relative 2e−9 (a degree-6 e^r, one degree below $exp4's: enough for 1 ulp).
  (global $roundingShiftScaled v128 (v128.const f32x4 12583103 12583103 12583103 12583103))
  (global $twoToMinus64 v128 (v128.const f32x4 5.421010862427522e-20 5.421010862427522e-20 5.421010862427522e-20 5.421010862427522e-20))
  (global $expQ1 v128 (v128.const f32x4 0.4999999403953552 0.4999999403953552 0.4999999403953552 0.4999999403953552))
  (global $expQ2 v128 (v128.const f32x4 0.16666430234909058 0.16666430234909058 0.16666430234909058 0.16666430234909058))
  (global $expQ3 v128 (v128.const f32x4 0.04166800528764725 0.04166800528764725 0.04166800528764725 0.04166800528764725))
  (global $expQ4 v128 (v128.const f32x4 0.008374196477234364 0.008374196477234364 0.008374196477234364 0.008374196477234364))
  (global $expQ5 v128 (v128.const f32x4 0.001384360366500914 0.001384360366500914 0.001384360366500914 0.001384360366500914))

  ;; log: the bits of √½; subtracting them splits x into 2^e · m with m in [√½, √2).
  (global $sqrtHalfBits v128 (v128.const i32x4 0x3f3504f3 0x3f3504f3 0x3f3504f3 0x3f3504f3))
  (global $mantissaMask v128 (v128.const i32x4 0x007fffff 0x007fffff 0x007fffff 0x007fffff))
  (global $smallestNormalBits v128 (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000))
  ;; Bits of the positive normal finite floats, less smallestNormalBits, are below this.
  (global $normalSpan v128 (v128.const i32x4 0x7f000000 0x7f000000 0x7f000000 0x7f000000))
  (global $twoTo23 v128 (v128.const f32x4 8388608 8388608 8388608 8388608))
  (global $twentyThree v128 (v128.const i32x4 23 23 23 23))
  ;; Cephes logf coefficients: log(1 + f) ≈ f − f²/2 + f³·Q(f) for f in [√½ − 1, √2 − 1).
  (global $logQ0 v128 (v128.const f32x4 7.0376836292e-2 7.0376836292e-2 7.0376836292e-2 7.0376836292e-2))
  (global $logQ1 v128 (v128.const f32x4 -1.1514610310e-1 -1.1514610310e-1 -1.1514610310e-1 -1.1514610310e-1))
  (global $logQ2 v128 (v128.const f32x4 1.1676998740e-1 1.1676998740e-1 1.1676998740e-1 1.1676998740e-1))
  (global $logQ3 v128 (v128.const f32x4 -1.2420140846e-1 -1.2420140846e-1 -1.2420140846e-1 -1.2420140846e-1))
  (global $logQ4 v128 (v128.const f32x4 1.4249322787e-1 1.4249322787e-1 1.4249322787e-1 1.4249322787e-1))
  (global $logQ5 v128 (v128.const f32x4 -1.6668057665e-1 -1.6668057665e-1 -1.6668057665e-1 -1.6668057665e-1))
  (global $logQ6 v128 (v128.const f32x4 2.0000714765e-1 2.0000714765e-1 2.0000714765e-1 2.0000714765e-1))
  (global $logQ7 v128 (v128.const f32x4 -2.4999993993e-1 -2.4999993993e-1 -2.4999993993e-1 -2.4999993993e-1))
  (global $logQ8 v128 (v128.const f32x4 3.3333331174e-1 3.3333331174e-1 3.3333331174e-1 3.3333331174e-1))

  ;; atanh(s)/s = 1 + w·A(w), w = s² in [0, 1/9]: a minimax cubic A (fitted to the series
  ;; 1/3 + w/5 + w²/7 + …; |error of w·A| < 5e−9, a tenth of an ulp) for $log1pUnitInterval4.
  (global $atanhA0 v128 (v128.const f32x4 0.33333206566281176 0.33333206566281176 0.33333206566281176 0.33333206566281176))
  (global $atanhA1 v128 (v128.const f32x4 0.20010849533097472 0.20010849533097472 0.20010849533097472 0.20010849533097472))
  (global $atanhA2 v128 (v128.const f32x4 0.13999570488973037 0.13999570488973037 0.13999570488973037 0.13999570488973037))
  (global $atanhA3 v128 (v128.const f32x4 0.1401222963514908 0.1401222963514908 0.1401222963514908 0.1401222963514908))

  ;; ---- e^x ----------------------------------------------------------------------------------
  ;; x = n·ln2 + r with n = round(x/ln2), |r| ≤ ln2/2; e^x = 2^n · e^r. n is rounded by adding
  ;; 1.5·2^23 (the float addition rounds to nearest-even, and the integer n lands in the low
  ;; mantissa bits, read back with one integer subtraction), cheaper than nearest + trunc_sat.
  ;; The scale 2^n is applied as 2^⌊n/2⌋ · 2^(n−⌊n/2⌋): both factors are normal floats for every n
  ;; in [−150, 129], the first product is exact, and only the second rounds, so subnormal
  ;; results are correctly scaled and results past FLT_MAX become +Infinity.
  ;; The clamp uses pmax/pmin (one instruction each, unlike max/min) with x first: a NaN x
  ;; fails both comparisons and passes through.
  ;; @inline
  (func $exp4 (param $x v128) (result v128)
    (local $shifted v128) (local $n v128) (local $r v128) (local $p v128) (local $whole v128) (local $firstHalf v128)
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (global.get $expLowest)) (global.get $expHighest)))
    (local.set $shifted (f32x4.add (f32x4.mul (local.get $x) (global.get $log2e)) (global.get $roundingShift)))
    (local.set $n (f32x4.sub (local.get $shifted) (global.get $roundingShift)))
    (local.set $whole (i32x4.sub (local.get $shifted) (global.get $roundingShift)))
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (global.get $ln2High)))
        (f32x4.mul (local.get $n) (global.get $ln2Low))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $r) (global.get $expP0)) (global.get $expP1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $expP2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $expP3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $expP4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $expP5)))
    (local.set $p
      (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (global.get $one)))
    (local.set $firstHalf (i32x4.shr_s (local.get $whole) (i32.const 1)))
    (f32x4.mul
      (f32x4.mul
        (local.get $p)
        (i32x4.shl (i32x4.add (local.get $firstHalf) (global.get $exponentBias)) (i32.const 23)))
      (i32x4.shl
        (i32x4.add (i32x4.sub (local.get $whole) (local.get $firstHalf)) (global.get $exponentBias))
        (i32.const 23)))
  )

  ;; ---- e^x for x ≤ 0 (softmax's e^{x − max}) ------------------------------------------------
  ;; The same reduction as $exp4 in about a third fewer instructions, for x ≤ 0 (NaN passes
  ;; through): the softmax kernels' x − max. No upper clamp, and 2^n needs no split: adding
  ;; 1.5·2^23 + 127 + 64 rounds x·log2e to n and leaves n + 191 in the low bits, so one shift
  ;; left by 23 gives the float s = 2^(n + 64) (the 1.5·2^23 part shifts out), normal for every n
  ;; in [−150, 63]. Then e^x = (s + (r·s)·Q(r)) · 2^−64, Q(r) ≈ (e^r − 1)/r: the last multiply is
  ;; the one rounding into the subnormal range (as in $exp4), below −104 the result is 0, and
  ;; x = 0 gives exactly 1 (r = 0). Within 1 ulp of e^x rounded to float32 for every float32 x in
  ;; [−104, 0] (checked exhaustively once; 99% correctly rounded), subnormal results included;
  ;; test/kernels/softmax-exp.test.ts sweeps it densely. It stays right up to x ≈ 44 (n = 63) and
  ;; is NaN or garbage above.
  ;; @inline
  (func $expNonPositive4 (param $x v128) (result v128)
    (local $shifted v128) (local $n v128) (local $r v128) (local $q v128) (local $scale v128)
    (local.set $x (f32x4.pmax (local.get $x) (global.get $expLowest)))
    (local.set $shifted (f32x4.add (f32x4.mul (local.get $x) (global.get $log2e)) (global.get $roundingShiftScaled)))
    ;; Lanes at the clamp (x ≤ −104, whose result is 0: a softmax's masked or padded lanes) and
    ;; NaN get s = 0, so their products stay 0 or NaN: computing their 0 through the subnormal
    ;; range would cost a microcode assist per vector on x86 (about 45 ns a softmax row).
    (local.set $scale
      (v128.and
        (i32x4.shl (local.get $shifted) (i32.const 23))
        (f32x4.gt (local.get $x) (global.get $expLowest))))
    (local.set $n (f32x4.sub (local.get $shifted) (global.get $roundingShiftScaled)))
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (global.get $ln2High)))
        (f32x4.mul (local.get $n) (global.get $ln2Low))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $r) (global.get $expQ5)) (global.get $expQ4)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (global.get $expQ3)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (global.get $expQ2)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (global.get $expQ1)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (global.get $one)))
    (f32x4.mul
      (f32x4.add (f32x4.mul (f32x4.mul (local.get $r) (local.get $scale)) (local.get $q)) (local.get $scale))
      (global.get $twoToMinus64))
  )

  ;; ---- log x --------------------------------------------------------------------------------
  ;; x = 2^e · m with m in [√½, √2) (integer arithmetic on the bits), f = m − 1 exactly
  ;; (Sterbenz), log x = e·ln2 + log(1 + f) with Cephes's polynomial; e·ln2 is added in two parts
  ;; (ln2High + ln2Low) so the large part goes in last and exactly. Lanes that are not positive
  ;; normal finite floats take a slower path only when present: subnormals are scaled by 2^23
  ;; first, and 0 → −Infinity, negative → NaN, +Infinity → +Infinity, NaN → NaN.
  ;; @inline
  (func $log4 (param $x v128) (result v128)
    (local $bits v128) (local $special v128) (local $exponentShift v128) (local $subnormal v128)
    (local $reduced v128) (local $exponent v128) (local $f v128) (local $square v128) (local $q v128)
    (local $result v128)
    (local.set $bits (local.get $x))
    (local.set $exponentShift (v128.const i64x2 0 0))
    (local.set $special
      (i32x4.ge_u (i32x4.sub (local.get $bits) (global.get $smallestNormalBits)) (global.get $normalSpan)))
    (if (v128.any_true (local.get $special))
      (then
        ;; positive subnormals: bits in [1, 0x7fffff]
        (local.set $subnormal
          (i32x4.lt_u (i32x4.sub (local.get $bits) (v128.const i32x4 1 1 1 1)) (global.get $mantissaMask)))
        (local.set $bits
          (v128.bitselect (f32x4.mul (local.get $x) (global.get $twoTo23)) (local.get $bits) (local.get $subnormal)))
        (local.set $exponentShift (v128.and (local.get $subnormal) (global.get $twentyThree)))))
    (local.set $reduced (i32x4.sub (local.get $bits) (global.get $sqrtHalfBits)))
    (local.set $exponent
      (f32x4.convert_i32x4_s
        (i32x4.sub (i32x4.shr_s (local.get $reduced) (i32.const 23)) (local.get $exponentShift))))
    (local.set $f
      (f32x4.sub
        (i32x4.add (v128.and (local.get $reduced) (global.get $mantissaMask)) (global.get $sqrtHalfBits))
        (global.get $one)))
    (local.set $square (f32x4.mul (local.get $f) (local.get $f)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $f) (global.get $logQ0)) (global.get $logQ1)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $f)) (global.get $logQ2)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $f)) (global.get $logQ3)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $f)) (global.get $logQ4)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $f)) (global.get $logQ5)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $f)) (global.get $logQ6)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $f)) (global.get $logQ7)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $f)) (global.get $logQ8)))
    ;; q·f³ + e·ln2Low − f²/2, then + f, then + e·ln2High
    (local.set $q
      (f32x4.sub
        (f32x4.add
          (f32x4.mul (f32x4.mul (local.get $q) (local.get $f)) (local.get $square))
          (f32x4.mul (local.get $exponent) (global.get $ln2Low)))
        (f32x4.mul (local.get $square) (global.get $half))))
    (local.set $result
      (f32x4.add
        (f32x4.add (local.get $f) (local.get $q))
        (f32x4.mul (local.get $exponent) (global.get $ln2High))))
    (if (v128.any_true (local.get $special))
      (then
        (local.set $result
          (v128.bitselect (global.get $negativeInfinity) (local.get $result) (f32x4.eq (local.get $x) (f32x4.splat (f32.const 0)))))
        (local.set $result
          (v128.bitselect (global.get $positiveInfinity) (local.get $result) (f32x4.eq (local.get $x) (global.get $positiveInfinity))))
        ;; negative numbers and NaN: not (x >= 0)
        (local.set $result
          (v128.bitselect (local.get $result) (global.get $quietNaN) (f32x4.ge (local.get $x) (f32x4.splat (f32.const 0)))))))
    (local.get $result)
  )

  ;; ---- log(1 + x) ---------------------------------------------------------------------------
  ;; u = fl(1 + x) and c = x − (u − 1) is the rounding error of that sum (exact), so
  ;; log(1 + x) = log(u + c) ≈ log u + c/u. For |x| < 2^−25, u = 1 and the result is x itself.
  ;; The correction is dropped where it would be 0/0 (x = −1) or ∞ − ∞ (x = +∞).
  ;; @inline
  (func $log1p4 (param $x v128) (result v128)
    (local $u v128) (local $correction v128)
    (local.set $u (f32x4.add (global.get $one) (local.get $x)))
    (local.set $correction
      (f32x4.div (f32x4.sub (local.get $x) (f32x4.sub (local.get $u) (global.get $one))) (local.get $u)))
    (local.set $correction
      (v128.bitselect
        (f32x4.splat (f32.const 0))
        (local.get $correction)
        (v128.or
          (f32x4.eq (local.get $u) (f32x4.splat (f32.const 0)))
          (f32x4.eq (local.get $u) (global.get $positiveInfinity)))))
    (f32x4.add (call $log4 (local.get $u)) (local.get $correction))
  )

  ;; ---- log(1 + e) for e in [0, 1] ------------------------------------------------------------
  ;; log(1 + e) = 2·atanh(s) with s = e/(2 + e) in [0, 1/3], and 2·atanh(s) = 2s + 2s·w·A(w) with
  ;; w = s² ≤ 1/9 (A: see $atanhA0). No exponent split, no special lanes (NaN passes through),
  ;; one division: about half the work of $log1p4, for the softplus tails log1p(e^−|x|) of the
  ;; binary cross-entropies.
  ;; @inline
  (func $log1pUnitInterval4 (param $e v128) (result v128)
    (local $s v128) (local $w v128) (local $a v128)
    (local.set $s (f32x4.div (local.get $e) (f32x4.add (local.get $e) (global.get $two))))
    (local.set $w (f32x4.mul (local.get $s) (local.get $s)))
    (local.set $a (f32x4.add (f32x4.mul (local.get $w) (global.get $atanhA3)) (global.get $atanhA2)))
    (local.set $a (f32x4.add (f32x4.mul (local.get $a) (local.get $w)) (global.get $atanhA1)))
    (local.set $a (f32x4.add (f32x4.mul (local.get $a) (local.get $w)) (global.get $atanhA0)))
    (local.set $s (f32x4.add (local.get $s) (local.get $s)))
    (f32x4.add (local.get $s) (f32x4.mul (local.get $s) (f32x4.mul (local.get $w) (local.get $a))))
  )

  ;; ---- softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^−|x|) ----------------------------------
  ;; Never overflows; for x ≪ 0 the result is e^x to full relative precision. pmax with x first
  ;; keeps a NaN x.
  ;; @inline
  (func $softplus4 (param $x v128) (result v128)
    (f32x4.add
      (f32x4.pmax (local.get $x) (f32x4.splat (f32.const 0)))
      (call $log1pUnitInterval4 (call $exp4 (v128.or (local.get $x) (global.get $signMask)))))
  )

  ;; ---- sigmoid(x) = 1 / (1 + e^−x) ----------------------------------------------------------
  ;; With e = e^−|x| ≤ 1: 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0, so the exponential never
  ;; overflows and small results keep their relative precision (two divisions: e · 1/(1 + e)
  ;; would round twice and reach 3 ulp). NaN gives NaN (x ≥ 0 is false and e is NaN).
  ;; @inline
  (func $sigmoid4 (param $x v128) (result v128)
    (local $e v128)
    (local.set $e (call $exp4 (v128.or (local.get $x) (global.get $signMask))))
    (f32x4.div
      (v128.bitselect (global.get $one) (local.get $e) (f32x4.ge (local.get $x) (f32x4.splat (f32.const 0))))
      (f32x4.add (global.get $one) (local.get $e)))
  )

  ;; ---- horizontal reductions ----------------------------------------------------------------

  ;; Largest lane, NaN if any lane is NaN.
  ;; @inline
  (func $maxLanes (param $v v128) (result f32)
    (local.set $v (f32x4.max (local.get $v) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (local.set $v (f32x4.max (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v))))
    (f32x4.extract_lane 0 (local.get $v))
  )

  ;; Adds the four float32 lanes of v, widened to float64, onto the two lanes of sum.
  ;; @inline
  (func $accumulateWide (param $sum v128) (param $v v128) (result v128)
    (f64x2.add
      (f64x2.add (local.get $sum) (f64x2.promote_low_f32x4 (local.get $v)))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
  )

  ;; The four float64 values of two f64x2 halves, narrowed to float32 lanes (low, high).
  ;; @inline
  (func $narrowPair (param $low v128) (param $high v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $low))
      (f32x4.demote_f64x2_zero (local.get $high)))
  )

  ;; Σ of the float64 lanes of four partial sums.
  ;; @inline
  (func $sumFour (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result f64)
    (local.set $a (f64x2.add (f64x2.add (local.get $a) (local.get $b)) (f64x2.add (local.get $c) (local.get $d))))
    (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))
  )

  ;; The high two float32 lanes of v, widened.
  ;; @inline
  (func $promoteHigh (param $v v128) (result v128)
    (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
  )
