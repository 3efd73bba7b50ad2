;; Binary cross-entropy from logits, elementwise (SigmoidBinaryCrossEntropyLoss, LogisticLoss).
;; (A fragment of the gloss kernel module, see memory.wat.)
;;
;; With s(x) = log(1 + e^x), z = labelScale · label + labelShift (the label itself for
;; SigmoidBCE, (label + 1)/2 for LogisticLoss's signed labels) and p the positive weight (1 when
;; posWeight is 0):
;;
;;   ℓ = p·z·s(−x) + (1 − z)·s(x)        (Gluon's x − x·z + (1 + (p − 1)·z)·s(−x), rearranged
;;                                          with s(x) = x + s(−x))
;;   s(±x) = max(±x, 0) + log1p(e^−|x|)   (one exp and one log1p serve both; nothing overflows;
;;                                          for z in [0, 1] and p ≥ 0 both terms are ≥ 0)
;;   ∂ℓ/∂x = (1 − z)·σ(x) − p·z·σ(−x)     (exact for z = 1 even where σ(x) rounds to 1)
;;   ∂ℓ/∂z = p·s(−x) − s(x) = (p − 1)·s(−x) − x,   ∂ℓ/∂p = z·s(−x)
;;
;; σ(±x) come from e = e^−|x|: the one on the side of x's sign is 1/(1 + e), the other e/(1 + e).
;; pmax(±x, 0) with ±x first keeps a NaN logit (NaN in, NaN out).
;; Every array is read and written as whole vectors (the caller pads regions to 16 bytes; the
;; float64 ones to 32). Arithmetic is float32; the loss is widened to float64 on output.

  (func (export "sigmoidCrossEntropyForward")
    (param $x i32) (param $z i32) (param $posWeight i32) (param $count i32)
    (param $labelScale f32) (param $labelShift f32) (param $loss i32)
    (local $end i32) (local $scale v128) (local $shift v128) (local $logit v128) (local $label v128)
    (local $tail v128) (local $positive v128) (local $value v128)
    (local.set $scale (f32x4.splat (local.get $labelScale)))
    (local.set $shift (f32x4.splat (local.get $labelShift)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $logit (v128.load (local.get $x)))
        (local.set $label (f32x4.add (f32x4.mul (v128.load (local.get $z)) (local.get $scale)) (local.get $shift)))
        (local.set $tail (call $log1pUnitInterval4 (call $exp4 (v128.or (local.get $logit) (global.get $signMask)))))
        (local.set $positive (local.get $label))
        (if (local.get $posWeight)
          (then
            (local.set $positive (f32x4.mul (v128.load (local.get $posWeight)) (local.get $label)))
            (local.set $posWeight (i32.add (local.get $posWeight) (i32.const 16)))))
        (local.set $value
          (f32x4.add
            (f32x4.mul
              (local.get $positive)
              (f32x4.add (f32x4.pmax (f32x4.neg (local.get $logit)) (f32x4.splat (f32.const 0))) (local.get $tail)))
            (f32x4.mul
              (f32x4.sub (global.get $one) (local.get $label))
              (f32x4.add (f32x4.pmax (local.get $logit) (f32x4.splat (f32.const 0))) (local.get $tail)))))
        (v128.store (local.get $loss) (f64x2.promote_low_f32x4 (local.get $value)))
        (v128.store offset=16
          (local.get $loss)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $value) (local.get $value))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $loss (i32.add (local.get $loss) (i32.const 32)))
        (br $next)))
  )

  ;; Gradients scaled by dLoss (float64 per element): dX, dZ (already times labelScale) and dP,
  ;; each written only when its pointer is not 0.
  (func (export "sigmoidCrossEntropyBackward")
    (param $x i32) (param $z i32) (param $posWeight i32) (param $count i32)
    (param $labelScale f32) (param $labelShift f32) (param $dLoss i32)
    (param $dX i32) (param $dZ i32) (param $dP i32)
    (local $end i32) (local $scale v128) (local $shift v128) (local $logit v128) (local $label v128)
    (local $weight v128) (local $g v128) (local $e v128) (local $denominator v128) (local $large v128)
    (local $small v128) (local $nonNegative v128) (local $softplusNegative v128)
    (local.set $scale (f32x4.splat (local.get $labelScale)))
    (local.set $shift (f32x4.splat (local.get $labelShift)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $weight (global.get $one))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $logit (v128.load (local.get $x)))
        (local.set $label (f32x4.add (f32x4.mul (v128.load (local.get $z)) (local.get $scale)) (local.get $shift)))
        (if (local.get $posWeight)
          (then (local.set $weight (v128.load (local.get $posWeight)))))
        (local.set $g (call $narrowPair (v128.load (local.get $dLoss)) (v128.load offset=16 (local.get $dLoss))))
        (local.set $e (call $exp4 (v128.or (local.get $logit) (global.get $signMask))))
        (if (local.get $dX)
          (then
            (local.set $denominator (f32x4.add (global.get $one) (local.get $e)))
            (local.set $large (f32x4.div (global.get $one) (local.get $denominator)))
            (local.set $small (f32x4.mul (local.get $e) (local.get $large)))
            (local.set $nonNegative (f32x4.ge (local.get $logit) (f32x4.splat (f32.const 0))))
            ;; (1 − z)·σ(x) − p·z·σ(−x)
            (v128.store
              (local.get $dX)
              (f32x4.mul
                (local.get $g)
                (f32x4.sub
                  (f32x4.mul
                    (f32x4.sub (global.get $one) (local.get $label))
                    (v128.bitselect (local.get $large) (local.get $small) (local.get $nonNegative)))
                  (f32x4.mul
                    (f32x4.mul (local.get $weight) (local.get $label))
                    (v128.bitselect (local.get $small) (local.get $large) (local.get $nonNegative))))))
            (local.set $dX (i32.add (local.get $dX) (i32.const 16)))))
        (if (i32.or (local.get $dZ) (local.get $dP))
          (then
            (local.set $softplusNegative
              (f32x4.add
                (f32x4.pmax (f32x4.neg (local.get $logit)) (f32x4.splat (f32.const 0)))
                (call $log1pUnitInterval4 (local.get $e))))
            (if (local.get $dZ)
              (then
                ;; ((p − 1)·s(−x) − x)·labelScale; exactly −x·labelScale without posWeight
                (v128.store
                  (local.get $dZ)
                  (f32x4.mul
                    (f32x4.mul (local.get $g) (local.get $scale))
                    (if (result v128) (local.get $posWeight)
                      (then
                        (f32x4.sub
                          (f32x4.mul (f32x4.sub (local.get $weight) (global.get $one)) (local.get $softplusNegative))
                          (local.get $logit)))
                      (else (f32x4.neg (local.get $logit))))))
                (local.set $dZ (i32.add (local.get $dZ) (i32.const 16)))))
            (if (local.get $dP)
              (then
                (v128.store
                  (local.get $dP)
                  (f32x4.mul (local.get $g) (f32x4.mul (local.get $label) (local.get $softplusNegative))))
                (local.set $dP (i32.add (local.get $dP) (i32.const 16)))))))
        (if (local.get $posWeight)
          (then (local.set $posWeight (i32.add (local.get $posWeight) (i32.const 16)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $dLoss (i32.add (local.get $dLoss) (i32.const 32)))
        (br $next)))
  )

  ;; One pass for a recorded call without posWeight (p = 1): the loss summed per segment and its
  ;; gradient, from one exponential per element. The elements come as `segments` consecutive
  ;; segments (samples) of `length` elements: sums[j] = Σ ℓ over segment j (float64) and
  ;; gradient[i] = scales[j] · ∂ℓ/∂x[i]. Whole vectors first, then one element at a time in lane
  ;; 0 (its ℓ masked to that lane: a zero logit with z = labelShift is not a zero loss).

  ;; ℓ = z·s(−x) + (1 − z)·s(x) from e = e^−|x|.
  ;; @inline
  (func $crossEntropyLoss4 (param $logit v128) (param $label v128) (param $e v128) (result v128)
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
  (func $crossEntropySlope4 (param $logit v128) (param $label v128) (param $e v128) (result v128)
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

  (func (export "sigmoidCrossEntropySegments")
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
            (local.set $loss (call $crossEntropyLoss4 (local.get $logit) (local.get $label) (local.get $e)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss))))
            (local.set $s1 (f64x2.add (local.get $s1) (call $promoteHigh (local.get $loss))))
            (v128.store (local.get $gradient)
              (f32x4.mul (local.get $factor) (call $crossEntropySlope4 (local.get $logit) (local.get $label) (local.get $e))))
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
                (call $crossEntropyLoss4 (local.get $logit) (local.get $label) (local.get $e))
                (v128.const i32x4 -1 0 0 0)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $loss))))
            (v128.store32_lane 0 (local.get $gradient)
              (f32x4.mul (local.get $factor) (call $crossEntropySlope4 (local.get $logit) (local.get $label) (local.get $e))))
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
