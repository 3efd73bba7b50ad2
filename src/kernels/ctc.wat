;; CTCLoss's rescaled linear-space α recursion for one sample (the TypeScript driver is ctc.ts,
;; the float64 reference and the derivation are forwardSamples/linearForward in
;; src/loss/_ctc-forward.ts). Everything is float64, as in the reference: only the logits are
;; float32. (A fragment of the gloss kernel module, see memory.wat.)

  ;; ---- e^x in float64, two lanes -----------------------------------------------------------
  ;; x = n·ln2 + r, n = nearest(x/ln2), |r| ≤ ln2/2 (Cody–Waite: ln2High has its low 32 bits 0,
  ;; so n·ln2High is exact for |n| < 2^20); e^r by its Taylor polynomial to r^13/13! (truncation
  ;; below 5e−18, relative), Horner; 2^n applied as 2^⌊n/2⌋ · 2^(n−⌊n/2⌋), both normal for the
  ;; clamped x in [−746, 710], so subnormal results are scaled correctly and e^710 is +Infinity.
  ;; Within about 2 ulp of Math.exp; NaN passes through (pmax/pmin with x first), −∞ gives 0.
  (global $expLowest2d v128 (v128.const f64x2 -746 -746))
  (global $expHighest2d v128 (v128.const f64x2 710 710))
  (global $log2e2d v128 (v128.const f64x2 1.4426950408889634 1.4426950408889634))
  (global $ln2High2d v128 (v128.const f64x2 6.93147180369123816490e-01 6.93147180369123816490e-01))
  (global $ln2Low2d v128 (v128.const f64x2 1.90821492927058770002e-10 1.90821492927058770002e-10))
  (global $exponentBias2d v128 (v128.const i64x2 1023 1023))
  ;; @inline
  (func $exp2d (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128) (local $whole v128) (local $firstHalf v128)
    (local.set $x (f64x2.pmin (f64x2.pmax (local.get $x) (global.get $expLowest2d)) (global.get $expHighest2d)))
    (local.set $n (f64x2.nearest (f64x2.mul (local.get $x) (global.get $log2e2d))))
    (local.set $r
      (f64x2.sub
        (f64x2.sub (local.get $x) (f64x2.mul (local.get $n) (global.get $ln2High2d)))
        (f64x2.mul (local.get $n) (global.get $ln2Low2d))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $r) (v128.const f64x2 1.6059043836821613e-10 1.6059043836821613e-10)) (v128.const f64x2 2.08767569878681e-09 2.08767569878681e-09)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 2.505210838544172e-08 2.505210838544172e-08)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 2.755731922398589e-07 2.755731922398589e-07)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 2.7557319223985893e-06 2.7557319223985893e-06)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 2.48015873015873e-05 2.48015873015873e-05)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 1.984126984126984e-04 1.984126984126984e-04)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 1.388888888888889e-03 1.388888888888889e-03)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 8.333333333333333e-03 8.333333333333333e-03)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 4.1666666666666664e-02 4.1666666666666664e-02)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.16666666666666666 0.16666666666666666)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.5 0.5)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 1 1)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 1 1)))
    (local.set $whole (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $n))))
    (local.set $firstHalf (i64x2.shr_s (local.get $whole) (i32.const 1)))
    (f64x2.mul
      (f64x2.mul
        (local.get $p)
        (i64x2.shl (i64x2.add (local.get $firstHalf) (global.get $exponentBias2d)) (i32.const 52)))
      (i64x2.shl
        (i64x2.add (i64x2.sub (local.get $whole) (local.get $firstHalf)) (global.get $exponentBias2d))
        (i32.const 52)))
  )

  ;; ---- the α recursion of one sample ------------------------------------------------------
  ;; In: x, the sample's `frames` rows of `classes` float32 logits; shift and logSum (f64 per
  ;; frame); classOf (i32 per emission index: the blank, then the labels, padded by one more);
  ;; skip (i32 per state: 1 where the jump from s − 2 is allowed); `count` states.
  ;; Out, per frame t: emissions[t·emissionWidth + k] = y_t(classOf[k]) (f64; lane k + 1 past the
  ;; used ones may be written too, so the region is padded), alphas[t·states + s] = α̂_t(s)
  ;; (0 outside the window), totals[t] = c_t (the frame's sum before rescaling), and two flag
  ;; bytes: emissionFlags[t] = 1 where an emission underflowed (below 2^−1022 and not from a −∞
  ;; logit), frameFlags[t] = 1 where anything in the frame underflowed. Returns the number of
  ;; frames done: `frames`, or the first frame whose c_t is below 2^−1022 or not finite (the
  ;; caller falls back to log space). The logs of c_t and the underflow bound are the caller's.
  (global $minNormal f64 (f64.const 0x1p-1022))
  (global $minNormalLanes v128 (v128.const f64x2 0x1p-1022 0x1p-1022))
  (func (export "ctcAlphaLinear")
    (param $x i32) (param $classes i32) (param $shift i32) (param $logSum i32) (param $frames i32)
    (param $classOf i32) (param $skip i32) (param $count i32) (param $states i32)
    (param $emissions i32) (param $emissionWidth i32) (param $alphas i32) (param $totals i32)
    (param $emissionFlags i32) (param $frameFlags i32) (result i32)
    (local $t i32) (local $k i32) (local $s i32) (local $row i32) (local $previous i32) (local $at i32)
    (local $frame i32) (local $labelCount i32) (local $low i32) (local $high i32) (local $underflow i32)
    (local $logEmission v128) (local $emission v128) (local $classK i32)
    (local $total f64) (local $inverse v128)
    (local $p i32) (local $lowLanes v128) (local $highLanes v128) (local $blankLanes v128)
    (local $sums v128) (local $flags v128) (local $lanes v128) (local $window v128) (local $values v128)
    (local $paths v128) (local $current v128) (local $before v128)
    (local.set $labelCount (i32.shr_u (i32.sub (local.get $count) (i32.const 1)) (i32.const 1)))
    (local.set $t (i32.const 0))
    (block $done
      (loop $nextFrame
        (br_if $done (i32.ge_u (local.get $t) (local.get $frames)))
        (local.set $frame (i32.add (local.get $x) (i32.mul (i32.mul (local.get $t) (local.get $classes)) (i32.const 4))))
        ;; The reference subtracts shift then logSum; (x − shift) − logSum is kept here too.
        (local.set $at (i32.add (local.get $emissions) (i32.shl (i32.mul (local.get $t) (local.get $emissionWidth)) (i32.const 3))))
        (local.set $underflow (i32.const 0))
        (local.set $k (i32.const 0))
        (loop $nextPair
          (local.set $logEmission
            (f64x2.sub
              (f64x2.sub
                (f64x2.replace_lane 1
                  (f64x2.splat
                    (f64.promote_f32 (f32.load (i32.add (local.get $frame)
                      (i32.shl (i32.load (i32.add (local.get $classOf) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2))))))
                  (f64.promote_f32 (f32.load (i32.add (local.get $frame)
                    (i32.shl (i32.load offset=4 (i32.add (local.get $classOf) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2))))))
                (f64x2.splat (f64.load (i32.add (local.get $shift) (i32.shl (local.get $t) (i32.const 3))))))
              (f64x2.splat (f64.load (i32.add (local.get $logSum) (i32.shl (local.get $t) (i32.const 3)))))))
          (local.set $emission (call $exp2d (local.get $logEmission)))
          (v128.store (i32.add (local.get $at) (i32.shl (local.get $k) (i32.const 3))) (local.get $emission))
          ;; underflow: emission < 2^−1022 and log emission ≠ −∞ (lane k + 1 only if used)
          (local.set $classK
            (i8x16.bitmask
              (v128.and
                (f64x2.lt (local.get $emission) (f64x2.splat (global.get $minNormal)))
                (f64x2.ne (local.get $logEmission) (f64x2.splat (f64.const -inf))))))
          (if (i32.and (local.get $classK) (i32.const 0x00ff))
            (then (local.set $underflow (i32.const 1))))
          (if (i32.and
                (i32.ne (i32.and (local.get $classK) (i32.const 0xff00)) (i32.const 0))
                (i32.lt_u (local.get $k) (local.get $labelCount)))
            (then (local.set $underflow (i32.const 1))))
          (local.set $k (i32.add (local.get $k) (i32.const 2)))
          (br_if $nextPair (i32.le_u (local.get $k) (local.get $labelCount))))
        (i32.store8 (i32.add (local.get $emissionFlags) (local.get $t)) (local.get $underflow))
        ;; the window [low, high] of frame t
        (local.set $low (i32.sub (local.get $count) (i32.shl (i32.sub (local.get $frames) (local.get $t)) (i32.const 1))))
        (if (i32.lt_s (local.get $low) (i32.const 0)) (then (local.set $low (i32.const 0))))
        (local.set $high (i32.add (i32.shl (local.get $t) (i32.const 1)) (i32.const 1)))
        (if (i32.gt_s (local.get $high) (i32.sub (local.get $count) (i32.const 1)))
          (then (local.set $high (i32.sub (local.get $count) (i32.const 1)))))
        (local.set $row (i32.add (local.get $alphas) (i32.shl (i32.mul (local.get $t) (local.get $states)) (i32.const 3))))
        (local.set $previous (i32.sub (local.get $row) (i32.shl (local.get $states) (i32.const 3))))
        (local.set $lowLanes (i64x2.splat (i64.extend_i32_s (local.get $low))))
        (local.set $highLanes (i64x2.splat (i64.extend_i32_s (local.get $high))))
        (local.set $blankLanes (v128.load64_splat (local.get $at)))
        ;; States in pairs (s, s + 1), s even, over [0, count): lanes outside the window are 0
        ;; (bitwise, so whatever a padding lane read, even NaN, drops out), as in the reference.
        (local.set $sums (v128.const f64x2 0 0))
        (local.set $flags (v128.const i64x2 0 0))
        (local.set $before (v128.const f64x2 0 0))
        (local.set $lanes (v128.const i64x2 0 1))
        (local.set $s (i32.const 0))
        (loop $nextPair
          (local.set $window
            (v128.and
              (i64x2.ge_s (local.get $lanes) (local.get $lowLanes))
              (i64x2.le_s (local.get $lanes) (local.get $highLanes))))
          ;; y_t(l'_s), y_t(l'_{s+1}): the blank, and label (s + 2)/2
          (local.set $emission
            (v128.load64_lane 1
              (i32.add (local.get $at) (i32.shl (i32.add (i32.shr_u (local.get $s) (i32.const 1)) (i32.const 1)) (i32.const 3)))
              (local.get $blankLanes)))
          (local.set $p (i32.add (local.get $previous) (i32.shl (local.get $s) (i32.const 3))))
          (if (i32.eqz (local.get $t))
            (then (local.set $values (v128.and (local.get $emission) (local.get $window))))
            (else
              ;; α_{t−1}(s) + α_{t−1}(s − 1) + α_{t−1}(s − 2) where that jump is allowed: the
              ;; pairs (s, s + 1) loaded and (s − 2, s − 1) kept from the step before (0 at s = 0),
              ;; (s − 1, s) shuffled from both — no unaligned load of a row just stored
              (local.set $current (v128.load (local.get $p)))
              (local.set $paths
                (f64x2.add
                  (f64x2.add
                    (local.get $current)
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
                      (local.get $before) (local.get $current)))
                  (v128.and
                    (local.get $before)
                    (v128.load (i32.add (local.get $skip) (i32.shl (local.get $s) (i32.const 3)))))))
              (local.set $before (local.get $current))
              (local.set $values (v128.and (f64x2.mul (local.get $emission) (local.get $paths)) (local.get $window)))
              (local.set $flags
                (v128.or (local.get $flags)
                  (v128.and (local.get $window)
                    (v128.and
                      (f64x2.lt (local.get $values) (global.get $minNormalLanes))
                      (v128.and
                        (f64x2.ne (local.get $paths) (v128.const f64x2 0 0))
                        (f64x2.ne (local.get $emission) (v128.const f64x2 0 0)))))))))
          (v128.store (i32.add (local.get $row) (i32.shl (local.get $s) (i32.const 3))) (local.get $values))
          (local.set $sums (f64x2.add (local.get $sums) (local.get $values)))
          (local.set $lanes (i64x2.add (local.get $lanes) (v128.const i64x2 2 2)))
          (local.set $s (i32.add (local.get $s) (i32.const 2)))
          (br_if $nextPair (i32.lt_u (local.get $s) (local.get $count))))
        (local.set $total (f64.add (f64x2.extract_lane 0 (local.get $sums)) (f64x2.extract_lane 1 (local.get $sums))))
        (f64.store (i32.add (local.get $totals) (i32.shl (local.get $t) (i32.const 3))) (local.get $total))
        ;; !(total >= MIN_NORMAL && total < +∞): stop, the caller falls back
        (br_if $done
          (i32.eqz (i32.and
            (f64.ge (local.get $total) (global.get $minNormal))
            (f64.lt (local.get $total) (f64.const inf)))))
        (local.set $inverse (f64x2.splat (f64.div (f64.const 1) (local.get $total))))
        (local.set $lanes (v128.const i64x2 0 1))
        (local.set $s (i32.const 0))
        (loop $rescale
          (local.set $p (i32.add (local.get $row) (i32.shl (local.get $s) (i32.const 3))))
          (local.set $values (v128.load (local.get $p)))
          (local.set $paths (f64x2.mul (local.get $values) (local.get $inverse)))
          (v128.store (local.get $p) (local.get $paths))
          (local.set $flags
            (v128.or (local.get $flags)
              (v128.and
                (i64x2.le_s (local.get $lanes) (local.get $highLanes))
                (v128.and
                  (f64x2.lt (local.get $paths) (global.get $minNormalLanes))
                  (f64x2.ne (local.get $values) (v128.const f64x2 0 0))))))
          (local.set $lanes (i64x2.add (local.get $lanes) (v128.const i64x2 2 2)))
          (local.set $s (i32.add (local.get $s) (i32.const 2)))
          (br_if $rescale (i32.lt_u (local.get $s) (local.get $count))))
        (if (v128.any_true (local.get $flags)) (then (local.set $underflow (i32.const 1))))
        (i32.store8 (i32.add (local.get $frameFlags) (local.get $t)) (local.get $underflow))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $nextFrame)))
    (local.get $t)
  )

  ;; ---- the β recursion and the occupancies of one sample -------------------------------------
  ;; In: emissions and emissionFlags as ctcAlphaLinear wrote them, alphas (α̂, row stride
  ;; `states`), skip (i32 per state), `count` states, `frames`, and the gradient's scale dℓ.
  ;; Scratch: beta, betaNext, ahead (count + 2 f64 each). Out, per frame t: gammas[t·states + s]
  ;; = dℓ · α̂_t(s)β̂_t(s) / Σ_s α̂_t(s)β̂_t(s) inside the window (untouched outside), totals[t] =
  ;; the sum of β_t before rescaling (t < frames − 1), frameFlags[t] = 1 where the β step into
  ;; frame t underflowed (or an emission of frame t + 1 did: emissionFlags[t + 1]), and gradient[t·classes + extended[s]] −= dℓ·γ_t(s) inside the window
  ;; (float32 rows of `classes`, holding the softmax terms; extended: i32 class per state).
  ;; Returns 1, or 0 where a β sum or an occupancy sum is too small or not finite (the caller
  ;; falls back to log space, dropping the gradient rows); the underflow bound is the caller's.
  ;; The reference, with the derivation, is linearBackward in src/loss/_ctc-backward.ts.
  (global $occupancyFloor f64 (f64.const 0x1p-960))
  (func (export "ctcBetaLinear")
    (param $emissions i32) (param $emissionWidth i32) (param $emissionFlags i32) (param $alphas i32)
    (param $states i32) (param $skip i32) (param $count i32) (param $frames i32) (param $scale f64)
    (param $beta i32) (param $betaNext i32) (param $ahead i32)
    (param $gammas i32) (param $totals i32) (param $frameFlags i32)
    (param $extended i32) (param $classes i32) (param $gradient i32) (result i32)
    (local $t i32) (local $s i32) (local $low i32) (local $high i32) (local $aheadEnd i32)
    (local $gradientRow i32) (local $q i32) (local $blankTerms f64) (local $current v128) (local $following v128)
    (local $lowLanes2 v128) (local $highLanes2 v128)
    (local $at i32) (local $row i32) (local $swap i32) (local $p i32)
    (local $total f64) (local $factor v128) (local $inverse v128)
    (local $lanes v128) (local $lowLanes v128) (local $highLanes v128) (local $aheadEndLanes v128)
    (local $window v128) (local $emission v128) (local $next v128) (local $values v128) (local $scaled v128)
    (local $sums v128) (local $flags v128) (local $blankLanes v128)
    (if (i32.eqz (local.get $frames)) (then (return (i32.const 1))))
    ;; β̂_{T−1}: 1 in the last two states
    (local.set $s (i32.const 0))
    (loop $init
      (f64.store (i32.add (local.get $beta) (i32.shl (local.get $s) (i32.const 3)))
        (select (f64.const 1) (f64.const 0) (i32.ge_s (local.get $s) (i32.sub (local.get $count) (i32.const 2)))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br_if $init (i32.lt_u (local.get $s) (local.get $count))))
    (local.set $t (i32.sub (local.get $frames) (i32.const 1)))
    (loop $nextFrame
      (local.set $low (i32.sub (local.get $count) (i32.shl (i32.sub (local.get $frames) (local.get $t)) (i32.const 1))))
      (if (i32.lt_s (local.get $low) (i32.const 0)) (then (local.set $low (i32.const 0))))
      (local.set $high (i32.add (i32.shl (local.get $t) (i32.const 1)) (i32.const 1)))
      (if (i32.gt_s (local.get $high) (i32.sub (local.get $count) (i32.const 1)))
        (then (local.set $high (i32.sub (local.get $count) (i32.const 1)))))
      (local.set $lowLanes (i64x2.splat (i64.extend_i32_s (local.get $low))))
      (local.set $highLanes (i64x2.splat (i64.extend_i32_s (local.get $high))))
      (local.set $lowLanes2 (i64x2.splat (i64.extend_i32_s (i32.add (local.get $low) (i32.const 2)))))
      (local.set $highLanes2 (i64x2.splat (i64.extend_i32_s (i32.add (local.get $high) (i32.const 2)))))
      (if (i32.lt_s (local.get $t) (i32.sub (local.get $frames) (i32.const 1)))
        (then
          ;; ahead(s) = y_{t+1}(l'_s) · β̂_{t+1}(s) on [low, aheadEnd], 0 elsewhere and past the end
          (local.set $at (i32.add (local.get $emissions)
            (i32.shl (i32.mul (i32.add (local.get $t) (i32.const 1)) (local.get $emissionWidth)) (i32.const 3))))
          (local.set $blankLanes (v128.load64_splat (local.get $at)))
          (local.set $aheadEnd (i32.add (local.get $high) (i32.const 2)))
          (if (i32.gt_s (local.get $aheadEnd) (i32.sub (local.get $count) (i32.const 1)))
            (then (local.set $aheadEnd (i32.sub (local.get $count) (i32.const 1)))))
          (local.set $aheadEndLanes (i64x2.splat (i64.extend_i32_s (local.get $aheadEnd))))
          ;; β_t(s) = ahead(s) + ahead(s + 1) + ahead(s + 2) where the jump s → s + 2 is allowed,
          ;; in one pass with ahead: step s makes ahead's pair (s, s + 1) (0 from the label's end
          ;; on, by the window) and, from s = 2 on, β's pair (s − 2, s − 1) from ahead's pair
          ;; (s − 2, s − 1) kept from the step before, this one, and (s − 1, s) shuffled from both
          (local.set $flags (v128.const i64x2 0 0))
          (local.set $sums (v128.const f64x2 0 0))
          (local.set $lanes (v128.const i64x2 0 1))
          (local.set $s (i32.const 0))
          (loop $aheadNext
            (local.set $window
              (v128.and
                (i64x2.ge_s (local.get $lanes) (local.get $lowLanes))
                (i64x2.le_s (local.get $lanes) (local.get $aheadEndLanes))))
            (local.set $emission
              (v128.load64_lane 1
                (i32.add (local.get $at) (i32.shl (i32.add (i32.shr_u (local.get $s) (i32.const 1)) (i32.const 1)) (i32.const 3)))
                (local.get $blankLanes)))
            (local.set $next (v128.load (i32.add (local.get $beta) (i32.shl (local.get $s) (i32.const 3)))))
            (local.set $following (v128.and (f64x2.mul (local.get $emission) (local.get $next)) (local.get $window)))
            (local.set $flags
              (v128.or (local.get $flags)
                (v128.and (local.get $window)
                  (v128.and
                    (f64x2.lt (local.get $following) (global.get $minNormalLanes))
                    (v128.and
                      (f64x2.ne (local.get $emission) (v128.const f64x2 0 0))
                      (f64x2.ne (local.get $next) (v128.const f64x2 0 0)))))))
            (if (i32.ge_u (local.get $s) (i32.const 2))
              (then
                ;; β's pair (s − 2, s − 1), in frame t's window
                (local.set $window
                  (v128.and
                    (i64x2.ge_s (local.get $lanes) (local.get $lowLanes2))
                    (i64x2.le_s (local.get $lanes) (local.get $highLanes2))))
                (local.set $values
                  (v128.and
                    (f64x2.add
                      (f64x2.add
                        (local.get $current)
                        (i8x16.shuffle 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
                          (local.get $current) (local.get $following)))
                      (v128.and
                        (local.get $following)
                        (v128.load (i32.add (local.get $skip) (i32.shl (local.get $s) (i32.const 3))))))
                    (local.get $window)))
                (v128.store (i32.add (local.get $betaNext) (i32.shl (i32.sub (local.get $s) (i32.const 2)) (i32.const 3)))
                  (local.get $values))
                (local.set $sums (f64x2.add (local.get $sums) (local.get $values)))))
            (local.set $current (local.get $following))
            (local.set $lanes (i64x2.add (local.get $lanes) (v128.const i64x2 2 2)))
            (local.set $s (i32.add (local.get $s) (i32.const 2)))
            (br_if $aheadNext (i32.lt_u (local.get $s) (i32.add (local.get $count) (i32.const 2)))))
          (local.set $total (f64.add (f64x2.extract_lane 0 (local.get $sums)) (f64x2.extract_lane 1 (local.get $sums))))
          (f64.store (i32.add (local.get $totals) (i32.shl (local.get $t) (i32.const 3))) (local.get $total))
          (if (i32.eqz (i32.and
                (f64.ge (local.get $total) (global.get $minNormal))
                (f64.lt (local.get $total) (f64.const inf))))
            (then (return (i32.const 0))))
          (local.set $inverse (f64x2.splat (f64.div (f64.const 1) (local.get $total))))
          (local.set $lanes (v128.const i64x2 0 1))
          (local.set $s (i32.const 0))
          (loop $rescale
            (local.set $p (i32.add (local.get $betaNext) (i32.shl (local.get $s) (i32.const 3))))
            (local.set $values (v128.load (local.get $p)))
            (local.set $scaled (f64x2.mul (local.get $values) (local.get $inverse)))
            (v128.store (local.get $p) (local.get $scaled))
            (local.set $flags
              (v128.or (local.get $flags)
                (v128.and
                  (i64x2.le_s (local.get $lanes) (local.get $highLanes))
                  (v128.and
                    (f64x2.lt (local.get $scaled) (global.get $minNormalLanes))
                    (f64x2.ne (local.get $values) (v128.const f64x2 0 0))))))
            (local.set $lanes (i64x2.add (local.get $lanes) (v128.const i64x2 2 2)))
            (local.set $s (i32.add (local.get $s) (i32.const 2)))
            (br_if $rescale (i32.lt_u (local.get $s) (local.get $count))))
          ;; and, as in the reference, an underflowed emission of frame t + 1 counts for this step
          (i32.store8 (i32.add (local.get $frameFlags) (local.get $t))
            (i32.or
              (v128.any_true (local.get $flags))
              (i32.load8_u offset=1 (i32.add (local.get $emissionFlags) (local.get $t)))))
          (local.set $swap (local.get $beta))
          (local.set $beta (local.get $betaNext))
          (local.set $betaNext (local.get $swap))))
      ;; occupancies α̂_t(s)·β̂_t(s) in the window (ahead is free again: it holds them)
      (local.set $row (i32.add (local.get $alphas) (i32.shl (i32.mul (local.get $t) (local.get $states)) (i32.const 3))))
      (local.set $sums (v128.const f64x2 0 0))
      (local.set $lanes (v128.const i64x2 0 1))
      (local.set $s (i32.const 0))
      (loop $joint
        (local.set $window
          (v128.and
            (i64x2.ge_s (local.get $lanes) (local.get $lowLanes))
            (i64x2.le_s (local.get $lanes) (local.get $highLanes))))
        (local.set $values
          (v128.and
            (f64x2.mul
              (v128.load (i32.add (local.get $row) (i32.shl (local.get $s) (i32.const 3))))
              (v128.load (i32.add (local.get $beta) (i32.shl (local.get $s) (i32.const 3)))))
            (local.get $window)))
        (v128.store (i32.add (local.get $ahead) (i32.shl (local.get $s) (i32.const 3))) (local.get $values))
        (local.set $sums (f64x2.add (local.get $sums) (local.get $values)))
        (local.set $lanes (i64x2.add (local.get $lanes) (v128.const i64x2 2 2)))
        (local.set $s (i32.add (local.get $s) (i32.const 2)))
        (br_if $joint (i32.lt_u (local.get $s) (local.get $count))))
      (local.set $total (f64.add (f64x2.extract_lane 0 (local.get $sums)) (f64x2.extract_lane 1 (local.get $sums))))
      (if (i32.eqz (i32.and
            (f64.ge (local.get $total) (global.get $occupancyFloor))
            (f64.lt (local.get $total) (f64.const inf))))
        (then (return (i32.const 0))))
      (local.set $factor (f64x2.splat (f64.div (local.get $scale) (local.get $total))))
      ;; dℓ·γ in pairs; the last lane of an odd count is left alone (it is the next row's state 0)
      (local.set $row (i32.add (local.get $gammas) (i32.shl (i32.mul (local.get $t) (local.get $states)) (i32.const 3))))
      (local.set $s (i32.const 0))
      (loop $gamma
        (local.set $values
          (f64x2.mul (local.get $factor) (v128.load (i32.add (local.get $ahead) (i32.shl (local.get $s) (i32.const 3))))))
        (if (i32.lt_u (i32.add (local.get $s) (i32.const 1)) (local.get $count))
          (then (v128.store (i32.add (local.get $row) (i32.shl (local.get $s) (i32.const 3))) (local.get $values)))
          (else (v128.store64_lane 0 (i32.add (local.get $row) (i32.shl (local.get $s) (i32.const 3))) (local.get $values))))
        (local.set $s (i32.add (local.get $s) (i32.const 2)))
        (br_if $gamma (i32.lt_u (local.get $s) (local.get $count))))
      ;; gradient_t(l'_s) −= dℓ·γ_t(s) in the window, as subtractOccupancies in _ctc-backward.ts
      ;; does it (the same bits): the blank's terms (even states) summed first and subtracted
      ;; once, then the label states' one by one, s ascending; each float32 element widened and
      ;; the float64 difference rounded.
      (local.set $gradientRow
        (i32.add (local.get $gradient) (i32.shl (i32.mul (local.get $t) (local.get $classes)) (i32.const 2))))
      (local.set $blankTerms (f64.const 0))
      (local.set $s (i32.add (local.get $low) (i32.and (local.get $low) (i32.const 1))))
      (block $blankDone
        (br_if $blankDone (i32.gt_s (local.get $s) (local.get $high)))
        (loop $blankTerm
          (local.set $blankTerms
            (f64.add (local.get $blankTerms)
              (f64.load (i32.add (local.get $row) (i32.shl (local.get $s) (i32.const 3))))))
          (local.set $s (i32.add (local.get $s) (i32.const 2)))
          (br_if $blankTerm (i32.le_s (local.get $s) (local.get $high)))))
      (local.set $q
        (i32.add (local.get $gradientRow) (i32.shl (i32.load (local.get $extended)) (i32.const 2))))
      (f32.store (local.get $q)
        (f32.demote_f64 (f64.sub (f64.promote_f32 (f32.load (local.get $q))) (local.get $blankTerms))))
      (local.set $s (i32.or (local.get $low) (i32.const 1)))
      (block $labelsDone
        (br_if $labelsDone (i32.gt_s (local.get $s) (local.get $high)))
        (loop $labelTerm
          (local.set $q
            (i32.add (local.get $gradientRow)
              (i32.shl (i32.load (i32.add (local.get $extended) (i32.shl (local.get $s) (i32.const 2)))) (i32.const 2))))
          (f32.store (local.get $q)
            (f32.demote_f64
              (f64.sub
                (f64.promote_f32 (f32.load (local.get $q)))
                (f64.load (i32.add (local.get $row) (i32.shl (local.get $s) (i32.const 3)))))))
          (local.set $s (i32.add (local.get $s) (i32.const 2)))
          (br_if $labelTerm (i32.le_s (local.get $s) (local.get $high)))))
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (br_if $nextFrame (i32.ge_s (local.get $t) (i32.const 0))))
    (i32.const 1)
  )
