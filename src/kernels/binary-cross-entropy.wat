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
;;
;; Precision (DECISIONS 15): the transcendental parts are bounded and stay float32 — e in
;; [0, 1], log1p(e) in [0, ln 2], σ(±x) in [0, 1] — but everything that multiplies or adds the
;; unbounded inputs is float64, on the widened logits, labels and weights: in float32,
;; (1 − z)·max(x, 0) with x = 3.4e38 and a soft label z = −1 (LogisticLoss's label −3) is
;; already +Infinity although the mean over a sample may be finite, p·z overflows to Infinity
;; and then meets σ(−x) = 0 (NaN), and dLoss narrowed to float32 loses the precision of small
;; scales (subnormal ones keep a few bits). So each float32 vector of four elements runs its
;; float64 part as two f64x2 halves; the loss is stored in float64 and the gradients are rounded
;; to float32 once, on store, as in the TypeScript kernels. Every array is read and written as
;; whole vectors (the caller pads regions to 16 bytes; the float64 ones to 32).

  (global $bceOne64 v128 (v128.const f64x2 1 1))

  ;; ℓ = p·z·(max(−x, 0) + t) + (1 − z)·(max(x, 0) + t), float64 pairs, t = log1p(e^−|x|).
  ;; @inline
  (func $crossEntropyLoss2 (param $x v128) (param $z v128) (param $p v128) (param $tail v128) (result v128)
    (f64x2.add
      (f64x2.mul
        (f64x2.mul (local.get $p) (local.get $z))
        (f64x2.add (f64x2.pmax (f64x2.neg (local.get $x)) (v128.const i64x2 0 0)) (local.get $tail)))
      (f64x2.mul
        (f64x2.sub (global.get $bceOne64) (local.get $z))
        (f64x2.add (f64x2.pmax (local.get $x) (v128.const i64x2 0 0)) (local.get $tail))))
  )

  ;; ∂ℓ/∂x = (1 − z)·σ(x) − p·z·σ(−x), float64 pairs, from σ on x's side (`large`) and the
  ;; other (`small`): exact for z = 1 even where σ(x) rounds to 1, and 0 rather than ∞ · 0
  ;; where σ(−x) underflows. For a finite z outside [0, 1] it is σ(x)·((1 − z) + p·z) − p·z
  ;; instead: σ(x) and σ(−x) are float32 exponentials whose sum misses 1 by up to ~1e-7, an
  ;; error the first form multiplies by |z| (a label of 3.4e38 under weight 2 then rounded past
  ;; float32's range, −∞ for a true −3.4028e38); the second multiplies only σ's own error.
  ;; @inline
  (func $crossEntropySlope2 (param $x v128) (param $z v128) (param $p v128) (param $large v128) (param $small v128)
    (result v128)
    (local $nonNegative v128) (local $sigmoid v128) (local $outside v128)
    (local.set $nonNegative (f64x2.ge (local.get $x) (v128.const i64x2 0 0)))
    (local.set $sigmoid (v128.bitselect (local.get $large) (local.get $small) (local.get $nonNegative)))
    ;; finite (z − z = 0) and not in [0, 1]
    (local.set $outside
      (v128.andnot
        (f64x2.eq (f64x2.sub (local.get $z) (local.get $z)) (v128.const i64x2 0 0))
        (v128.and
          (f64x2.ge (local.get $z) (v128.const i64x2 0 0))
          (f64x2.le (local.get $z) (global.get $bceOne64)))))
    (v128.bitselect
      (f64x2.sub
        (f64x2.mul
          (local.get $sigmoid)
          (f64x2.add (f64x2.sub (global.get $bceOne64) (local.get $z)) (f64x2.mul (local.get $p) (local.get $z))))
        (f64x2.mul (local.get $p) (local.get $z)))
      (f64x2.sub
        (f64x2.mul (f64x2.sub (global.get $bceOne64) (local.get $z)) (local.get $sigmoid))
        (f64x2.mul
          (f64x2.mul (local.get $p) (local.get $z))
          (v128.bitselect (local.get $small) (local.get $large) (local.get $nonNegative))))
      (local.get $outside))
  )

  (func (export "sigmoidCrossEntropyForward")
    (param $x i32) (param $z i32) (param $posWeight i32) (param $count i32)
    (param $labelScale f32) (param $labelShift f32) (param $loss i32)
    (local $end i32) (local $scale v128) (local $shift v128) (local $logit v128) (local $label v128)
    (local $tail v128) (local $weight v128)
    (local.set $scale (f64x2.splat (f64.promote_f32 (local.get $labelScale))))
    (local.set $shift (f64x2.splat (f64.promote_f32 (local.get $labelShift))))
    (local.set $weight (global.get $one))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $logit (v128.load (local.get $x)))
        (local.set $label (v128.load (local.get $z)))
        (local.set $tail (call $log1pUnitInterval4 (call $exp4 (v128.or (local.get $logit) (global.get $signMask)))))
        (if (local.get $posWeight)
          (then
            (local.set $weight (v128.load (local.get $posWeight)))
            (local.set $posWeight (i32.add (local.get $posWeight) (i32.const 16)))))
        (v128.store (local.get $loss)
          (call $crossEntropyLoss2
            (f64x2.promote_low_f32x4 (local.get $logit))
            (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $label)) (local.get $scale)) (local.get $shift))
            (f64x2.promote_low_f32x4 (local.get $weight))
            (f64x2.promote_low_f32x4 (local.get $tail))))
        (v128.store offset=16 (local.get $loss)
          (call $crossEntropyLoss2
            (call $promoteHigh (local.get $logit))
            (f64x2.add (f64x2.mul (call $promoteHigh (local.get $label)) (local.get $scale)) (local.get $shift))
            (call $promoteHigh (local.get $weight))
            (call $promoteHigh (local.get $tail))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $loss (i32.add (local.get $loss) (i32.const 32)))
        (br $next)))
  )

  ;; ∂ℓ/∂z = (p − 1)·softplus(−x) − x with softplus(−x) = max(−x, 0) + t, float64 pairs.
  ;; @inline
  (func $crossEntropyLabelSlope2 (param $x v128) (param $p v128) (param $tail v128) (result v128)
    (f64x2.sub
      (f64x2.mul
        (f64x2.sub (local.get $p) (global.get $bceOne64))
        (f64x2.add (f64x2.pmax (f64x2.neg (local.get $x)) (v128.const i64x2 0 0)) (local.get $tail)))
      (local.get $x))
  )

  ;; Gradients scaled by dLoss (float64 per element): dX, dZ (already times labelScale) and dP,
  ;; each written only when its pointer is not 0. Without posWeight, ∂ℓ/∂z is exactly −x.
  (func (export "sigmoidCrossEntropyBackward")
    (param $x i32) (param $z i32) (param $posWeight i32) (param $count i32)
    (param $labelScale f32) (param $labelShift f32) (param $dLoss i32)
    (param $dX i32) (param $dZ i32) (param $dP i32)
    (local $end i32) (local $scale v128) (local $shift v128) (local $logit v128) (local $label v128)
    (local $weight v128) (local $e v128) (local $large v128) (local $small v128) (local $tail v128)
    (local $x0 v128) (local $x1 v128) (local $z0 v128) (local $z1 v128) (local $p0 v128) (local $p1 v128)
    (local $g0 v128) (local $g1 v128) (local $t0 v128) (local $t1 v128)
    (local.set $scale (f64x2.splat (f64.promote_f32 (local.get $labelScale))))
    (local.set $shift (f64x2.splat (f64.promote_f32 (local.get $labelShift))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $weight (global.get $one))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $logit (v128.load (local.get $x)))
        (local.set $label (v128.load (local.get $z)))
        (if (local.get $posWeight)
          (then (local.set $weight (v128.load (local.get $posWeight)))))
        (local.set $x0 (f64x2.promote_low_f32x4 (local.get $logit)))
        (local.set $x1 (call $promoteHigh (local.get $logit)))
        (local.set $z0 (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $label)) (local.get $scale)) (local.get $shift)))
        (local.set $z1 (f64x2.add (f64x2.mul (call $promoteHigh (local.get $label)) (local.get $scale)) (local.get $shift)))
        (local.set $p0 (f64x2.promote_low_f32x4 (local.get $weight)))
        (local.set $p1 (call $promoteHigh (local.get $weight)))
        (local.set $g0 (v128.load (local.get $dLoss)))
        (local.set $g1 (v128.load offset=16 (local.get $dLoss)))
        (local.set $e (call $exp4 (v128.or (local.get $logit) (global.get $signMask))))
        (if (local.get $dX)
          (then
            (local.set $large (f32x4.div (global.get $one) (f32x4.add (global.get $one) (local.get $e))))
            (local.set $small (f32x4.mul (local.get $e) (local.get $large)))
            (v128.store (local.get $dX)
              (call $narrowPair
                (f64x2.mul (local.get $g0)
                  (call $crossEntropySlope2 (local.get $x0) (local.get $z0) (local.get $p0)
                    (f64x2.promote_low_f32x4 (local.get $large)) (f64x2.promote_low_f32x4 (local.get $small))))
                (f64x2.mul (local.get $g1)
                  (call $crossEntropySlope2 (local.get $x1) (local.get $z1) (local.get $p1)
                    (call $promoteHigh (local.get $large)) (call $promoteHigh (local.get $small))))))
            (local.set $dX (i32.add (local.get $dX) (i32.const 16)))))
        (if (i32.or (local.get $dZ) (local.get $dP))
          (then
            (local.set $tail (call $log1pUnitInterval4 (local.get $e)))
            (local.set $t0 (f64x2.promote_low_f32x4 (local.get $tail)))
            (local.set $t1 (call $promoteHigh (local.get $tail)))
            (if (local.get $dZ)
              (then
                (v128.store (local.get $dZ)
                  (call $narrowPair
                    (f64x2.mul (f64x2.mul (local.get $g0) (local.get $scale))
                      (if (result v128) (local.get $posWeight)
                        (then (call $crossEntropyLabelSlope2 (local.get $x0) (local.get $p0) (local.get $t0)))
                        (else (f64x2.neg (local.get $x0)))))
                    (f64x2.mul (f64x2.mul (local.get $g1) (local.get $scale))
                      (if (result v128) (local.get $posWeight)
                        (then (call $crossEntropyLabelSlope2 (local.get $x1) (local.get $p1) (local.get $t1)))
                        (else (f64x2.neg (local.get $x1)))))))
                (local.set $dZ (i32.add (local.get $dZ) (i32.const 16)))))
            (if (local.get $dP)
              (then
                ;; z·softplus(−x)
                (v128.store (local.get $dP)
                  (call $narrowPair
                    (f64x2.mul (f64x2.mul (local.get $g0) (local.get $z0))
                      (f64x2.add (f64x2.pmax (f64x2.neg (local.get $x0)) (v128.const i64x2 0 0)) (local.get $t0)))
                    (f64x2.mul (f64x2.mul (local.get $g1) (local.get $z1))
                      (f64x2.add (f64x2.pmax (f64x2.neg (local.get $x1)) (v128.const i64x2 0 0)) (local.get $t1)))))
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
  ;; gradient[i] = scales[j] · ∂ℓ/∂x[i] (the float32 scale widened, the product rounded once).
  ;; Whole vectors first, then one element at a time in lane 0 (its ℓ masked to that lane: a
  ;; zero logit with z = labelShift is not a zero loss).
  (func (export "sigmoidCrossEntropySegments")
    (param $x i32) (param $z i32) (param $length i32) (param $segments i32) (param $scales i32)
    (param $labelScale f32) (param $labelShift f32) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $segmentEnd i32) (local $vectorEnd i32)
    (local $factor v128) (local $scale v128) (local $shift v128) (local $logit v128) (local $label v128)
    (local $e v128) (local $tail v128) (local $large v128) (local $small v128) (local $s0 v128) (local $s1 v128)
    (local $x0 v128) (local $x1 v128) (local $z0 v128) (local $z1 v128)
    (local.set $scale (f64x2.splat (f64.promote_f32 (local.get $labelScale))))
    (local.set $shift (f64x2.splat (f64.promote_f32 (local.get $labelShift))))
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        (local.set $factor (f64x2.splat (f64.promote_f32 (f32.load (local.get $scales)))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $segmentEnd (i32.add (local.get $x) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $vectorEnd
          (i32.add (local.get $x) (i32.shl (i32.and (local.get $length) (i32.const -4)) (i32.const 2))))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $x) (local.get $vectorEnd)))
            (local.set $logit (v128.load (local.get $x)))
            (local.set $label (v128.load (local.get $z)))
            (local.set $e (call $exp4 (v128.or (local.get $logit) (global.get $signMask))))
            (local.set $tail (call $log1pUnitInterval4 (local.get $e)))
            (local.set $large (f32x4.div (global.get $one) (f32x4.add (global.get $one) (local.get $e))))
            (local.set $small (f32x4.mul (local.get $e) (local.get $large)))
            (local.set $x0 (f64x2.promote_low_f32x4 (local.get $logit)))
            (local.set $x1 (call $promoteHigh (local.get $logit)))
            (local.set $z0 (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $label)) (local.get $scale)) (local.get $shift)))
            (local.set $z1 (f64x2.add (f64x2.mul (call $promoteHigh (local.get $label)) (local.get $scale)) (local.get $shift)))
            (local.set $s0
              (f64x2.add (local.get $s0)
                (call $crossEntropyLoss2 (local.get $x0) (local.get $z0) (global.get $bceOne64)
                  (f64x2.promote_low_f32x4 (local.get $tail)))))
            (local.set $s1
              (f64x2.add (local.get $s1)
                (call $crossEntropyLoss2 (local.get $x1) (local.get $z1) (global.get $bceOne64)
                  (call $promoteHigh (local.get $tail)))))
            (v128.store (local.get $gradient)
              (call $narrowPair
                (f64x2.mul (local.get $factor)
                  (call $crossEntropySlope2 (local.get $x0) (local.get $z0) (global.get $bceOne64)
                    (f64x2.promote_low_f32x4 (local.get $large)) (f64x2.promote_low_f32x4 (local.get $small))))
                (f64x2.mul (local.get $factor)
                  (call $crossEntropySlope2 (local.get $x1) (local.get $z1) (global.get $bceOne64)
                    (call $promoteHigh (local.get $large)) (call $promoteHigh (local.get $small))))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $z (i32.add (local.get $z) (i32.const 16)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 16)))
            (br $vectors)))
        (block $tailDone
          (loop $tailElements
            (br_if $tailDone (i32.ge_u (local.get $x) (local.get $segmentEnd)))
            (local.set $logit (v128.load32_zero (local.get $x)))
            (local.set $e (call $exp4 (v128.or (local.get $logit) (global.get $signMask))))
            (local.set $tail (call $log1pUnitInterval4 (local.get $e)))
            (local.set $large (f32x4.div (global.get $one) (f32x4.add (global.get $one) (local.get $e))))
            (local.set $small (f32x4.mul (local.get $e) (local.get $large)))
            (local.set $x0 (f64x2.promote_low_f32x4 (local.get $logit)))
            (local.set $z0
              (f64x2.add
                (f64x2.mul (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $z))) (local.get $scale))
                (local.get $shift)))
            (local.set $s0
              (f64x2.add (local.get $s0)
                (v128.and
                  (call $crossEntropyLoss2 (local.get $x0) (local.get $z0) (global.get $bceOne64)
                    (f64x2.promote_low_f32x4 (local.get $tail)))
                  (v128.const i64x2 -1 0))))
            (v128.store32_lane 0 (local.get $gradient)
              (f32x4.demote_f64x2_zero
                (f64x2.mul (local.get $factor)
                  (call $crossEntropySlope2 (local.get $x0) (local.get $z0) (global.get $bceOne64)
                    (f64x2.promote_low_f32x4 (local.get $large)) (f64x2.promote_low_f32x4 (local.get $small))))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $z (i32.add (local.get $z) (i32.const 4)))
            (local.set $gradient (i32.add (local.get $gradient) (i32.const 4)))
            (br $tailElements)))
        (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
        (f64.store (local.get $sums)
          (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $segment)))
  )
