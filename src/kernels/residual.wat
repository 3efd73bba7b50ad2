;; Residual losses in one pass: the loss summed and its gradient, for L2Loss, L1Loss and HuberLoss.
;; (A fragment of the gloss kernel module, see memory.wat.)
;;
;; With d = pred − label, element by element:
;;   squared   ℓ = d²/2                              ∂ℓ/∂pred = d
;;   absolute  ℓ = |d|                               ∂ℓ/∂pred = sign(d)  (0 at 0, NaN for NaN)
;;   huber     ℓ = d²/(2ρ) if |d| ≤ ρ, |d| − ρ/2     ∂ℓ/∂pred = d/ρ if |d| ≤ ρ, sign(d)
;; Each kernel returns Σ ℓ over a segment and writes gradient[i] = scale · ∂ℓ/∂pred[i].
;;
;; Float64 throughout (DECISIONS 15): the float32 inputs are widened before the subtraction,
;; so d, ℓ and scale · ∂ℓ/∂pred are computed in float64 and only the gradient is rounded to
;; float32 on store. In float32, 3.4e38 − (−3.4e38) would already be +Infinity although the
;; per-sample mean |d|/M, or the gradient d/M, may be finite; d² of |d| ≥ 1.9e19 and a residual
;; of subnormals times a scale lose range or precision the same way. A float64 d is exact for
;; two float32 operands (the difference of two 24-bit significands fits in 53 bits unless their
;; exponents are far apart, and then it is correctly rounded), d² ≤ (6.8e38)² ≈ 4.6e77 and
;; scale · d stay far inside float64's range, so the only rounding that matters is the final
;; one, which the TypeScript kernels perform too.
;;
;; Each float32 vector of four elements is processed as two f64x2 halves. The branches are lane
;; selects: the side not taken is computed and discarded, which is exact (bitselect, not a 0/1
;; blend, so an infinite residual cannot make 0 · ∞ = NaN). The elements come as `segments`
;; consecutive segments (samples) of `length` elements each; the sum is per segment and so is
;; the scale. Whole vectors first, then one element at a time in lane 0 of a vector whose other
;; lanes are 0 (d = 0 adds ℓ = 0), so nothing is read or written past a segment.

  (global $signMask64 v128 (v128.const i64x2 0x8000000000000000 0x8000000000000000))
  (global $one64 v128 (v128.const f64x2 1 1))
  (global $half64 v128 (v128.const f64x2 0.5 0.5))

  ;; The three losses' ℓ and ∂ℓ/∂pred of a float64 residual pair d.
  ;; @inline
  (func $squaredLoss2 (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (f64x2.mul (f64x2.mul (local.get $d) (local.get $d)) (global.get $half64))
  )

  ;; @inline
  (func $squaredSlope2 (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (local.get $d)
  )

  ;; @inline
  (func $absoluteLoss2 (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (f64x2.abs (local.get $d))
  )

  ;; sign(d) with sign(±0) = ±0 and NaN kept: ±1 with d's sign bit where |d| > 0, d itself where
  ;; it is zero or NaN (|NaN| > 0 is false).
  ;; @inline
  (func $absoluteSlope2 (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (v128.bitselect
      (v128.or (v128.and (local.get $d) (global.get $signMask64)) (global.get $one64))
      (local.get $d)
      (f64x2.gt (f64x2.abs (local.get $d)) (v128.const i64x2 0 0)))
  )

  ;; Huber with a = |d|, c = min(a, ρ) and t = c/ρ (= |slope|): ℓ = t·(a − c/2), which is
  ;; a²/(2ρ) inside and (ρ/ρ)·(a − ρ/2) outside (|d| = ρ takes the quadratic side); t ≤ 1, so
  ;; nothing overflows that ℓ itself does not. The slope is t with d's sign bit. pmin(a, ρ) with
  ;; a first keeps a NaN.
  ;; @inline
  (func $huberLoss2 (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (local $magnitude v128) (local $clamped v128)
    (local.set $magnitude (f64x2.abs (local.get $d)))
    (local.set $clamped (f64x2.pmin (local.get $magnitude) (local.get $rho)))
    (f64x2.mul
      (f64x2.mul (local.get $clamped) (local.get $inverseRho))
      (f64x2.sub (local.get $magnitude) (f64x2.mul (local.get $clamped) (global.get $half64))))
  )

  ;; @inline
  (func $huberSlope2 (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (v128.or
      (v128.and (local.get $d) (global.get $signMask64))
      (f64x2.mul (f64x2.pmin (f64x2.abs (local.get $d)) (local.get $rho)) (local.get $inverseRho)))
  )

  ;; The kernels: sums[j] = Σ ℓ over segment j (float64); gradient[i] = scales[j] · ∂ℓ/∂pred[i]
  ;; (float32 scales and gradient, float64 arithmetic). One kernel per loss, identical but for
  ;; the lane functions they call: a loss chosen by a branch inside the loop ran at half the
  ;; speed. ρ comes as a float64 (Huber's option, unrounded; ignored by the others).
  (func (export "squaredResidualSegments")
    (param $pred i32) (param $label i32) (param $length i32) (param $segments i32)
    (param $scales i32) (param $rhoValue f64) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $segmentEnd i32) (local $vectorEnd i32)
    (local $factor v128) (local $p v128) (local $y v128) (local $low v128) (local $high v128)
    (local $s0 v128) (local $s1 v128) (local $rho v128) (local $inverseRho v128)
    (local.set $rho (f64x2.splat (local.get $rhoValue)))
    (local.set $inverseRho (f64x2.splat (f64.div (f64.const 1) (local.get $rhoValue))))
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        (local.set $factor (f64x2.splat (f64.promote_f32 (f32.load (local.get $scales)))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $segmentEnd (i32.add (local.get $pred) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $vectorEnd
          (i32.add (local.get $pred) (i32.shl (i32.and (local.get $length) (i32.const -4)) (i32.const 2))))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $pred) (local.get $vectorEnd)))
            (local.set $p (v128.load (local.get $pred)))
            (local.set $y (v128.load (local.get $label)))
            (local.set $low (f64x2.sub (f64x2.promote_low_f32x4 (local.get $p)) (f64x2.promote_low_f32x4 (local.get $y))))
            (local.set $high (f64x2.sub (call $promoteHigh (local.get $p)) (call $promoteHigh (local.get $y))))
            (local.set $s0
              (f64x2.add (local.get $s0) (call $squaredLoss2 (local.get $low) (local.get $rho) (local.get $inverseRho))))
            (local.set $s1
              (f64x2.add (local.get $s1) (call $squaredLoss2 (local.get $high) (local.get $rho) (local.get $inverseRho))))
            (v128.store (local.get $gradient)
              (call $narrowPair
                (f64x2.mul (local.get $factor) (call $squaredSlope2 (local.get $low) (local.get $rho) (local.get $inverseRho)))
                (f64x2.mul (local.get $factor) (call $squaredSlope2 (local.get $high) (local.get $rho) (local.get $inverseRho)))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 16)))
            (local.set $label (i32.add (local.get $label) (i32.const 16)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 16)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $pred) (local.get $segmentEnd)))
            (local.set $low
              (f64x2.sub
                (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $pred)))
                (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $label)))))
            (local.set $s0
              (f64x2.add (local.get $s0) (call $squaredLoss2 (local.get $low) (local.get $rho) (local.get $inverseRho))))
            (v128.store32_lane 0 (local.get $gradient)
              (f32x4.demote_f64x2_zero
                (f64x2.mul (local.get $factor) (call $squaredSlope2 (local.get $low) (local.get $rho) (local.get $inverseRho)))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 4)))
            (local.set $label (i32.add (local.get $label) (i32.const 4)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 4)))
            (br $tail)))
        (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
        (f64.store (local.get $sums)
          (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $segment)))
  )
  (func (export "absoluteResidualSegments")
    (param $pred i32) (param $label i32) (param $length i32) (param $segments i32)
    (param $scales i32) (param $rhoValue f64) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $segmentEnd i32) (local $vectorEnd i32)
    (local $factor v128) (local $p v128) (local $y v128) (local $low v128) (local $high v128)
    (local $s0 v128) (local $s1 v128) (local $rho v128) (local $inverseRho v128)
    (local.set $rho (f64x2.splat (local.get $rhoValue)))
    (local.set $inverseRho (f64x2.splat (f64.div (f64.const 1) (local.get $rhoValue))))
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        (local.set $factor (f64x2.splat (f64.promote_f32 (f32.load (local.get $scales)))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $segmentEnd (i32.add (local.get $pred) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $vectorEnd
          (i32.add (local.get $pred) (i32.shl (i32.and (local.get $length) (i32.const -4)) (i32.const 2))))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $pred) (local.get $vectorEnd)))
            (local.set $p (v128.load (local.get $pred)))
            (local.set $y (v128.load (local.get $label)))
            (local.set $low (f64x2.sub (f64x2.promote_low_f32x4 (local.get $p)) (f64x2.promote_low_f32x4 (local.get $y))))
            (local.set $high (f64x2.sub (call $promoteHigh (local.get $p)) (call $promoteHigh (local.get $y))))
            (local.set $s0
              (f64x2.add (local.get $s0) (call $absoluteLoss2 (local.get $low) (local.get $rho) (local.get $inverseRho))))
            (local.set $s1
              (f64x2.add (local.get $s1) (call $absoluteLoss2 (local.get $high) (local.get $rho) (local.get $inverseRho))))
            (v128.store (local.get $gradient)
              (call $narrowPair
                (f64x2.mul (local.get $factor) (call $absoluteSlope2 (local.get $low) (local.get $rho) (local.get $inverseRho)))
                (f64x2.mul (local.get $factor) (call $absoluteSlope2 (local.get $high) (local.get $rho) (local.get $inverseRho)))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 16)))
            (local.set $label (i32.add (local.get $label) (i32.const 16)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 16)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $pred) (local.get $segmentEnd)))
            (local.set $low
              (f64x2.sub
                (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $pred)))
                (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $label)))))
            (local.set $s0
              (f64x2.add (local.get $s0) (call $absoluteLoss2 (local.get $low) (local.get $rho) (local.get $inverseRho))))
            (v128.store32_lane 0 (local.get $gradient)
              (f32x4.demote_f64x2_zero
                (f64x2.mul (local.get $factor) (call $absoluteSlope2 (local.get $low) (local.get $rho) (local.get $inverseRho)))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 4)))
            (local.set $label (i32.add (local.get $label) (i32.const 4)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 4)))
            (br $tail)))
        (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
        (f64.store (local.get $sums)
          (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $segment)))
  )
  (func (export "huberResidualSegments")
    (param $pred i32) (param $label i32) (param $length i32) (param $segments i32)
    (param $scales i32) (param $rhoValue f64) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $segmentEnd i32) (local $vectorEnd i32)
    (local $factor v128) (local $p v128) (local $y v128) (local $low v128) (local $high v128)
    (local $s0 v128) (local $s1 v128) (local $rho v128) (local $inverseRho v128)
    (local.set $rho (f64x2.splat (local.get $rhoValue)))
    (local.set $inverseRho (f64x2.splat (f64.div (f64.const 1) (local.get $rhoValue))))
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        (local.set $factor (f64x2.splat (f64.promote_f32 (f32.load (local.get $scales)))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $segmentEnd (i32.add (local.get $pred) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $vectorEnd
          (i32.add (local.get $pred) (i32.shl (i32.and (local.get $length) (i32.const -4)) (i32.const 2))))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $pred) (local.get $vectorEnd)))
            (local.set $p (v128.load (local.get $pred)))
            (local.set $y (v128.load (local.get $label)))
            (local.set $low (f64x2.sub (f64x2.promote_low_f32x4 (local.get $p)) (f64x2.promote_low_f32x4 (local.get $y))))
            (local.set $high (f64x2.sub (call $promoteHigh (local.get $p)) (call $promoteHigh (local.get $y))))
            (local.set $s0
              (f64x2.add (local.get $s0) (call $huberLoss2 (local.get $low) (local.get $rho) (local.get $inverseRho))))
            (local.set $s1
              (f64x2.add (local.get $s1) (call $huberLoss2 (local.get $high) (local.get $rho) (local.get $inverseRho))))
            (v128.store (local.get $gradient)
              (call $narrowPair
                (f64x2.mul (local.get $factor) (call $huberSlope2 (local.get $low) (local.get $rho) (local.get $inverseRho)))
                (f64x2.mul (local.get $factor) (call $huberSlope2 (local.get $high) (local.get $rho) (local.get $inverseRho)))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 16)))
            (local.set $label (i32.add (local.get $label) (i32.const 16)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 16)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $pred) (local.get $segmentEnd)))
            (local.set $low
              (f64x2.sub
                (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $pred)))
                (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $label)))))
            (local.set $s0
              (f64x2.add (local.get $s0) (call $huberLoss2 (local.get $low) (local.get $rho) (local.get $inverseRho))))
            (v128.store32_lane 0 (local.get $gradient)
              (f32x4.demote_f64x2_zero
                (f64x2.mul (local.get $factor) (call $huberSlope2 (local.get $low) (local.get $rho) (local.get $inverseRho)))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 4)))
            (local.set $label (i32.add (local.get $label) (i32.const 4)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 4)))
            (br $tail)))
        (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
        (f64.store (local.get $sums)
          (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $segment)))
  )
