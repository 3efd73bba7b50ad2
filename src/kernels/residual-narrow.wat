;; residual-narrow.wat: the float32-lane twins of residual.wat's one-pass kernels (the previous kernels,
;; kept for speed). Four float32 lanes per vector instead of two float64 ones, so about twice the
;; throughput, and exact enough wherever no term overflows float32: the driver (_segments.ts) runs
;; these first and reruns a chunk through the float64 kernels when a segment's sum comes out not
;; finite, which is how an overflow of a float32 term shows (an overflowing ℓ is ±Infinity, and an
;; overflowing slope only ever meets an overflowing ℓ in these losses), and how a NaN input shows.
;;
;; Residual losses in one pass: the loss summed and its gradient, for L2Loss, L1Loss and HuberLoss.
;; (A fragment of the gloss kernel module, see memory.wat.)
;;
;; With d = pred − label, element by element:
;;   squared   ℓ = d²/2                              ∂ℓ/∂pred = d
;;   absolute  ℓ = |d|                               ∂ℓ/∂pred = sign(d)  (0 at 0, NaN for NaN)
;;   huber     ℓ = d²/(2ρ) if |d| ≤ ρ, |d| − ρ/2     ∂ℓ/∂pred = d/ρ if |d| ≤ ρ, sign(d)
;; Each kernel returns Σ ℓ over `count` elements (float32 lanes widened to float64 before they
;; are added, in four partial sums so that no one chain of dependent adds bounds the loop) and
;; writes gradient[i] = scale · ∂ℓ/∂pred[i]. The branches are lane selects: the side not taken
;; is computed and discarded, which is exact (bitselect, not a 0/1 blend, so an infinite residual
;; cannot make 0 · ∞ = NaN).
;;
;; The elements come as `segments` consecutive segments (samples) of `length` elements each; the
;; sum is per segment and so is the scale. Two vectors per iteration, then one element at a time
;; in lane 0 of a vector whose other lanes are 0 (d = 0 adds ℓ = 0), so nothing is read or
;; written past a segment and segments need no padding.

  ;; sign(d) with sign(±0) = ±0 and NaN kept: ±1 with d's sign bit where |d| > 0, d itself where
  ;; it is zero or NaN (|NaN| > 0 is false).
  ;; @inline
  (func $sign4Narrow (param $d v128) (result v128)
    (v128.bitselect
      (v128.or (v128.and (local.get $d) (global.get $signMask)) (global.get $one))
      (local.get $d)
      (f32x4.gt (f32x4.abs (local.get $d)) (f32x4.splat (f32.const 0))))
  )

  ;; The three losses' ℓ and ∂ℓ/∂pred of a residual vector d. Huber's |d| = ρ takes the
  ;; quadratic side, and its slope outside ρ is ±1 with d's sign.
  ;; @inline
  (func $squaredLoss4Narrow (param $d v128) (param $rho v128) (param $halfRho v128) (param $halfOverRho v128)
    (result v128)
    (f32x4.mul (f32x4.mul (local.get $d) (local.get $d)) (f32x4.splat (f32.const 0.5)))
  )

  ;; @inline
  (func $squaredSlope4Narrow (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (local.get $d)
  )

  ;; @inline
  (func $absoluteLoss4Narrow (param $d v128) (param $rho v128) (param $halfRho v128) (param $halfOverRho v128)
    (result v128)
    (f32x4.abs (local.get $d))
  )

  ;; @inline
  (func $absoluteSlope4Narrow (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (call $sign4Narrow (local.get $d))
  )

  ;; Huber with a = |d|, c = min(a, ρ) and t = c/ρ (= |slope|): ℓ = t·(a − c/2), which is
  ;; a²/(2ρ) inside and (ρ/ρ)·(a − ρ/2) outside; t ≤ 1, so nothing overflows that ℓ itself does
  ;; not, and an infinite d gives ℓ = ∞ with slope ±1. The slope is t with d's sign bit.
  ;; pmin(a, ρ) with a first keeps a NaN. (The two functions repeat abs and min; the compiler
  ;; computes them once.)
  ;; @inline
  (func $huberLoss4Narrow (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (local $magnitude v128) (local $clamped v128)
    (local.set $magnitude (f32x4.abs (local.get $d)))
    (local.set $clamped (f32x4.pmin (local.get $magnitude) (local.get $rho)))
    (f32x4.mul
      (f32x4.mul (local.get $clamped) (local.get $inverseRho))
      (f32x4.sub (local.get $magnitude) (f32x4.mul (local.get $clamped) (f32x4.splat (f32.const 0.5)))))
  )

  ;; @inline
  (func $huberSlope4Narrow (param $d v128) (param $rho v128) (param $inverseRho v128) (result v128)
    (v128.or
      (v128.and (local.get $d) (global.get $signMask))
      (f32x4.mul (f32x4.pmin (f32x4.abs (local.get $d)) (local.get $rho)) (local.get $inverseRho)))
  )

  ;; The kernels: sums[j] = Σ ℓ over segment j (float64); gradient[i] = scales[j] · ∂ℓ/∂pred[i]
  ;; (float32). One kernel per loss, identical but for the lane functions they call: a loss
  ;; chosen by a branch inside the loop ran at half the speed.
  (func (export "squaredResidualSegmentsNarrow")
    (param $pred i32) (param $label i32) (param $length i32) (param $segments i32)
    (param $scales i32) (param $rhoValue f32) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $segmentEnd i32) (local $vectorEnd i32)
    (local $factor v128) (local $d0 v128) (local $d1 v128) (local $loss0 v128) (local $loss1 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $rho v128) (local $halfRho v128) (local $halfOverRho v128) (local $inverseRho v128)
    (local.set $rho (f32x4.splat (local.get $rhoValue)))
    (local.set $halfRho (f32x4.splat (f32.mul (f32.const 0.5) (local.get $rhoValue))))
    (local.set $halfOverRho (f32x4.splat (f32.div (f32.const 0.5) (local.get $rhoValue))))
    (local.set $inverseRho (f32x4.splat (f32.div (f32.const 1) (local.get $rhoValue))))
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        (local.set $factor (f32x4.splat (f32.load (local.get $scales))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (local.set $segmentEnd (i32.add (local.get $pred) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $vectorEnd
          (i32.add (local.get $pred) (i32.shl (i32.and (local.get $length) (i32.const -8)) (i32.const 2))))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $pred) (local.get $vectorEnd)))
            (local.set $d0 (f32x4.sub (v128.load (local.get $pred)) (v128.load (local.get $label))))
            (local.set $d1
              (f32x4.sub (v128.load offset=16 (local.get $pred)) (v128.load offset=16 (local.get $label))))
            (local.set $loss0
              (call $squaredLoss4Narrow (local.get $d0) (local.get $rho) (local.get $halfRho) (local.get $halfOverRho)))
            (local.set $loss1
              (call $squaredLoss4Narrow (local.get $d1) (local.get $rho) (local.get $halfRho) (local.get $halfOverRho)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss0))))
            (local.set $s1 (f64x2.add (local.get $s1) (call $promoteHigh (local.get $loss0))))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.promote_low_f32x4 (local.get $loss1))))
            (local.set $s3 (f64x2.add (local.get $s3) (call $promoteHigh (local.get $loss1))))
            (v128.store (local.get $gradient)
              (f32x4.mul (local.get $factor)
                (call $squaredSlope4Narrow (local.get $d0) (local.get $rho) (local.get $inverseRho))))
            (v128.store offset=16 (local.get $gradient)
              (f32x4.mul (local.get $factor)
                (call $squaredSlope4Narrow (local.get $d1) (local.get $rho) (local.get $inverseRho))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 32)))
            (local.set $label (i32.add (local.get $label) (i32.const 32)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 32)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $pred) (local.get $segmentEnd)))
            (local.set $d0 (f32x4.sub (v128.load32_zero (local.get $pred)) (v128.load32_zero (local.get $label))))
            (local.set $loss0
              (call $squaredLoss4Narrow (local.get $d0) (local.get $rho) (local.get $halfRho) (local.get $halfOverRho)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss0))))
            (v128.store32_lane 0 (local.get $gradient)
              (f32x4.mul (local.get $factor)
                (call $squaredSlope4Narrow (local.get $d0) (local.get $rho) (local.get $inverseRho))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 4)))
            (local.set $label (i32.add (local.get $label) (i32.const 4)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 4)))
            (br $tail)))
        (f64.store (local.get $sums) (call $sumFour (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $segment)))
  )
  (func (export "absoluteResidualSegmentsNarrow")
    (param $pred i32) (param $label i32) (param $length i32) (param $segments i32)
    (param $scales i32) (param $rhoValue f32) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $segmentEnd i32) (local $vectorEnd i32)
    (local $factor v128) (local $d0 v128) (local $d1 v128) (local $loss0 v128) (local $loss1 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $signBit v128) (local $ones v128) (local $magnitude0 v128) (local $magnitude1 v128)
    (local $rho v128) (local $halfRho v128) (local $halfOverRho v128) (local $inverseRho v128)
    (local.set $rho (f32x4.splat (local.get $rhoValue)))
    (local.set $halfRho (f32x4.splat (f32.mul (f32.const 0.5) (local.get $rhoValue))))
    (local.set $halfOverRho (f32x4.splat (f32.div (f32.const 0.5) (local.get $rhoValue))))
    (local.set $inverseRho (f32x4.splat (f32.div (f32.const 1) (local.get $rhoValue))))
    ;; Constants in locals: V8 keeps them in registers instead of rebuilding or reloading them
    ;; for every vector.
    (local.set $signBit (global.get $signMask))
    (local.set $ones (global.get $one))
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        (local.set $factor (f32x4.splat (f32.load (local.get $scales))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (local.set $segmentEnd (i32.add (local.get $pred) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $vectorEnd
          (i32.add (local.get $pred) (i32.shl (i32.and (local.get $length) (i32.const -8)) (i32.const 2))))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $pred) (local.get $vectorEnd)))
            (local.set $d0 (f32x4.sub (v128.load (local.get $pred)) (v128.load (local.get $label))))
            (local.set $d1
              (f32x4.sub (v128.load offset=16 (local.get $pred)) (v128.load offset=16 (local.get $label))))
            ;; |d| and sign(d) written out with the constants in locals (see $sign4Narrow).
            (local.set $magnitude0 (v128.andnot (local.get $d0) (local.get $signBit)))
            (local.set $magnitude1 (v128.andnot (local.get $d1) (local.get $signBit)))
            (local.set $loss0 (local.get $magnitude0))
            (local.set $loss1 (local.get $magnitude1))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss0))))
            (local.set $s1 (f64x2.add (local.get $s1) (call $promoteHigh (local.get $loss0))))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.promote_low_f32x4 (local.get $loss1))))
            (local.set $s3 (f64x2.add (local.get $s3) (call $promoteHigh (local.get $loss1))))
            (v128.store (local.get $gradient)
              (f32x4.mul
                (local.get $factor)
                (v128.bitselect
                  (v128.or (v128.and (local.get $d0) (local.get $signBit)) (local.get $ones))
                  (local.get $d0)
                  (f32x4.gt (local.get $magnitude0) (v128.const i64x2 0 0)))))
            (v128.store offset=16 (local.get $gradient)
              (f32x4.mul
                (local.get $factor)
                (v128.bitselect
                  (v128.or (v128.and (local.get $d1) (local.get $signBit)) (local.get $ones))
                  (local.get $d1)
                  (f32x4.gt (local.get $magnitude1) (v128.const i64x2 0 0)))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 32)))
            (local.set $label (i32.add (local.get $label) (i32.const 32)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 32)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $pred) (local.get $segmentEnd)))
            (local.set $d0 (f32x4.sub (v128.load32_zero (local.get $pred)) (v128.load32_zero (local.get $label))))
            (local.set $loss0
              (call $absoluteLoss4Narrow (local.get $d0) (local.get $rho) (local.get $halfRho) (local.get $halfOverRho)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss0))))
            (v128.store32_lane 0 (local.get $gradient)
              (f32x4.mul (local.get $factor)
                (call $absoluteSlope4Narrow (local.get $d0) (local.get $rho) (local.get $inverseRho))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 4)))
            (local.set $label (i32.add (local.get $label) (i32.const 4)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 4)))
            (br $tail)))
        (f64.store (local.get $sums) (call $sumFour (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $segment)))
  )
  (func (export "huberResidualSegmentsNarrow")
    (param $pred i32) (param $label i32) (param $length i32) (param $segments i32)
    (param $scales i32) (param $rhoValue f32) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $segmentEnd i32) (local $vectorEnd i32)
    (local $factor v128) (local $d0 v128) (local $d1 v128) (local $loss0 v128) (local $loss1 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $rho v128) (local $inverseRho v128) (local $half v128)
    (local $magnitude0 v128) (local $magnitude1 v128) (local $clamped0 v128) (local $clamped1 v128)
    (local $ratio0 v128) (local $ratio1 v128) (local $signBit v128)
    ;; Constants in locals: V8 keeps them in registers instead of rebuilding or reloading them
    ;; for every vector.
    (local.set $signBit (global.get $signMask))
    (local.set $rho (f32x4.splat (local.get $rhoValue)))
    (local.set $inverseRho (f32x4.splat (f32.div (f32.const 1) (local.get $rhoValue))))
    (local.set $half (f32x4.splat (f32.const 0.5)))
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        (local.set $factor (f32x4.splat (f32.load (local.get $scales))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (local.set $segmentEnd (i32.add (local.get $pred) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $vectorEnd
          (i32.add (local.get $pred) (i32.shl (i32.and (local.get $length) (i32.const -8)) (i32.const 2))))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $pred) (local.get $vectorEnd)))
            (local.set $d0 (f32x4.sub (v128.load (local.get $pred)) (v128.load (local.get $label))))
            (local.set $d1
              (f32x4.sub (v128.load offset=16 (local.get $pred)) (v128.load offset=16 (local.get $label))))
            ;; The lane functions' formulas written out, so that |d|, min(|d|, ρ) and their ratio
            ;; to ρ are computed once for ℓ and the slope.
            (local.set $magnitude0 (v128.andnot (local.get $d0) (local.get $signBit)))
            (local.set $magnitude1 (v128.andnot (local.get $d1) (local.get $signBit)))
            (local.set $clamped0 (f32x4.pmin (local.get $magnitude0) (local.get $rho)))
            (local.set $clamped1 (f32x4.pmin (local.get $magnitude1) (local.get $rho)))
            (local.set $ratio0 (f32x4.mul (local.get $clamped0) (local.get $inverseRho)))
            (local.set $ratio1 (f32x4.mul (local.get $clamped1) (local.get $inverseRho)))
            (local.set $loss0
              (f32x4.mul
                (local.get $ratio0)
                (f32x4.sub (local.get $magnitude0) (f32x4.mul (local.get $clamped0) (local.get $half)))))
            (local.set $loss1
              (f32x4.mul
                (local.get $ratio1)
                (f32x4.sub (local.get $magnitude1) (f32x4.mul (local.get $clamped1) (local.get $half)))))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss0))))
            (local.set $s1 (f64x2.add (local.get $s1) (call $promoteHigh (local.get $loss0))))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.promote_low_f32x4 (local.get $loss1))))
            (local.set $s3 (f64x2.add (local.get $s3) (call $promoteHigh (local.get $loss1))))
            (v128.store (local.get $gradient)
              (f32x4.mul
                (local.get $factor)
                (v128.or (v128.and (local.get $d0) (local.get $signBit)) (local.get $ratio0))))
            (v128.store offset=16 (local.get $gradient)
              (f32x4.mul
                (local.get $factor)
                (v128.or (v128.and (local.get $d1) (local.get $signBit)) (local.get $ratio1))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 32)))
            (local.set $label (i32.add (local.get $label) (i32.const 32)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 32)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $pred) (local.get $segmentEnd)))
            (local.set $d0 (f32x4.sub (v128.load32_zero (local.get $pred)) (v128.load32_zero (local.get $label))))
            (local.set $loss0
              (call $huberLoss4Narrow (local.get $d0) (local.get $rho) (local.get $inverseRho)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss0))))
            (v128.store32_lane 0 (local.get $gradient)
              (f32x4.mul (local.get $factor)
                (call $huberSlope4Narrow (local.get $d0) (local.get $rho) (local.get $inverseRho))))
            (local.set $pred (i32.add (local.get $pred) (i32.const 4)))
            (local.set $label (i32.add (local.get $label) (i32.const 4)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 4)))
            (br $tail)))
        (f64.store (local.get $sums) (call $sumFour (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $segment)))
  )
