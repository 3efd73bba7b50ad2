;; binary-cross-entropy-narrow.wat: the float32-lane twins of binary-cross-entropy.wat's one-pass kernels (the previous kernels,
;; kept for speed). Four float32 lanes per vector instead of two float64 ones, so about twice the
;; throughput, and exact enough wherever no term overflows float32: the driver (_segments.ts) runs
;; these first and reruns a chunk through the float64 kernels when a segment's sum comes out not
;; finite, which is how an overflow of a float32 term shows (an overflowing ℓ is ±Infinity, and an
;; overflowing slope only ever meets an overflowing ℓ in these losses), and how a NaN input shows.
;;
  ;; One pass for a recorded call without posWeight (p = 1): the loss summed per segment and its
  ;; gradient, from one exponential per element. The elements come as `segments` consecutive
  ;; segments (samples) of `length` elements: sums[j] = Σ ℓ over segment j (float64) and
  ;; gradient[i] = scales[j] · ∂ℓ/∂x[i]. Whole vectors first, then one element at a time in lane
  ;; 0 (its ℓ masked to that lane: a zero logit with z = labelShift is not a zero loss).

  ;; ℓ = z·s(−x) + (1 − z)·s(x) from e = e^−|x|.
  ;; @inline
  (func $crossEntropyLoss4Narrow (param $logit v128) (param $label v128) (param $e v128) (result v128)
    (local $tail v128)
    (local.set $tail (call $log1pUnitInterval4 (local.get $e)))
    (f32x4.add
      (f32x4.mul
        (local.get $label)
        (f32x4.add (f32x4.pmax (f32x4.neg (local.get $logit)) (f32x4.splat (f32.const 0))) (local.get $tail)))
      (f32x4.mul
        (f32x4.sub (global.get $one) (local.get $label))
        (f32x4.add (f32x4.pmax (local.get $logit) (f32x4.splat (f32.const 0))) (local.get $tail))))
  )

  ;; ∂ℓ/∂x = (1 − z)·σ(x) − z·σ(−x) from e = e^−|x|.
  ;; @inline
  (func $crossEntropySlope4Narrow (param $logit v128) (param $label v128) (param $e v128) (result v128)
    (local $large v128) (local $small v128) (local $nonNegative v128)
    (local.set $large (f32x4.div (global.get $one) (f32x4.add (global.get $one) (local.get $e))))
    (local.set $small (f32x4.mul (local.get $e) (local.get $large)))
    (local.set $nonNegative (f32x4.ge (local.get $logit) (f32x4.splat (f32.const 0))))
    (f32x4.sub
      (f32x4.mul
        (f32x4.sub (global.get $one) (local.get $label))
        (v128.bitselect (local.get $large) (local.get $small) (local.get $nonNegative)))
      (f32x4.mul
        (local.get $label)
        (v128.bitselect (local.get $small) (local.get $large) (local.get $nonNegative))))
  )

  (func (export "sigmoidCrossEntropySegmentsNarrow")
    (param $x i32) (param $z i32) (param $length i32) (param $segments i32) (param $scales i32)
    (param $labelScale f32) (param $labelShift f32) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $segmentEnd i32) (local $vectorEnd i32)
    (local $factor v128) (local $scale v128) (local $shift v128) (local $logit v128) (local $label v128)
    (local $e v128) (local $loss v128) (local $s0 v128) (local $s1 v128)
    (local.set $scale (f32x4.splat (local.get $labelScale)))
    (local.set $shift (f32x4.splat (local.get $labelShift)))
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        (local.set $factor (f32x4.splat (f32.load (local.get $scales))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $segmentEnd (i32.add (local.get $x) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $vectorEnd
          (i32.add (local.get $x) (i32.shl (i32.and (local.get $length) (i32.const -4)) (i32.const 2))))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $x) (local.get $vectorEnd)))
            (local.set $logit (v128.load (local.get $x)))
            (local.set $label (f32x4.add (f32x4.mul (v128.load (local.get $z)) (local.get $scale)) (local.get $shift)))
            (local.set $e (call $exp4 (v128.or (local.get $logit) (global.get $signMask))))
            (local.set $loss (call $crossEntropyLoss4Narrow (local.get $logit) (local.get $label) (local.get $e)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss))))
            (local.set $s1 (f64x2.add (local.get $s1) (call $promoteHigh (local.get $loss))))
            (v128.store (local.get $gradient)
              (f32x4.mul (local.get $factor) (call $crossEntropySlope4Narrow (local.get $logit) (local.get $label) (local.get $e))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $z (i32.add (local.get $z) (i32.const 16)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 16)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $x) (local.get $segmentEnd)))
            (local.set $logit (v128.load32_zero (local.get $x)))
            (local.set $label
              (f32x4.add (f32x4.mul (v128.load32_zero (local.get $z)) (local.get $scale)) (local.get $shift)))
            (local.set $e (call $exp4 (v128.or (local.get $logit) (global.get $signMask))))
            (local.set $loss
              (v128.and
                (call $crossEntropyLoss4Narrow (local.get $logit) (local.get $label) (local.get $e))
                (v128.const i32x4 -1 0 0 0)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss))))
            (v128.store32_lane 0 (local.get $gradient)
              (f32x4.mul (local.get $factor) (call $crossEntropySlope4Narrow (local.get $logit) (local.get $label) (local.get $e))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $z (i32.add (local.get $z) (i32.const 4)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 4)))
            (br $tail)))
        (f64.store (local.get $sums)
          (f64.add
            (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))
            (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1)))))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $segment)))
  )
