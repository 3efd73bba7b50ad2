;; Softmax over contiguous rows of float32 logits (SoftmaxCrossEntropyLoss, CTC frames); the
;; TypeScript driver and its float64 reference are in softmax.ts. (A fragment of the gloss
;; kernel module, see memory.wat.)
;;
;; Rows are `classes` floats each, back to back, so a row may start at any 4-byte boundary
;; (unaligned vector loads are fine in wasm). Each loop walks a row by whole vectors, at least
;; one, the last partial: read, its lanes past the row are replaced by −Infinity (nothing to a
;; max or a sum of exponentials); written, they spill onto the next row of `out`, which the next
;; row overwrites. So `out` must not be `x`, rows go in order, and the caller pads every region
;; by 16 bytes.

  ;; Per row: maxOut[r] (f32) = the row maximum m (NaN if the row holds a NaN), and, when m is
  ;; finite, restOut[r] (f64) = Σ exp(x_c − m) over every class but one that attains m (else 0;
  ;; the caller handles those rows). With out ≠ 0, also out[r, c] = scales[r] · e^{x_c − m} /
  ;; (1 + rest) for the rows whose m is finite: the scaled softmax, each exponential taken once
  ;; (stored, then scaled while the row is in cache).
  ;;
  ;; Derivation: log Σ_c e^{x_c} = m + log(1 + rest), and leaving one maximal term (exactly 1)
  ;; out of the sum lets the caller take log1p(rest), which keeps the digits of a near-certain
  ;; row (rest ≪ 1). Terms equal to m are counted instead of summed (ties − 1 of them are added
  ;; back as exact ones). The float32 exponentials are summed in float64: the sum of 1000 terms
  ;; then carries only the per-term rounding. pmax is one instruction but skips NaN, so NaN lanes
  ;; are tracked apart (v ≠ v).
  (func (export "softmaxRowStatistics")
    (param $x i32) (param $rows i32) (param $classes i32) (param $scales i32)
    (param $maxOut i32) (param $restOut i32) (param $out i32)
    (local $rowBytes i32) (local $fullBytes i32) (local $tailMask v128) (local $p i32) (local $q i32)
    (local $fullEnd i32) (local $rowEnd i32) (local $largest v128) (local $nan v128) (local $maximum f32)
    (local $splatMax v128) (local $v v128) (local $e v128) (local $equal v128) (local $sum v128)
    (local $ties v128) (local $rest f64) (local $factor v128)
    (local.set $rowBytes (i32.shl (local.get $classes) (i32.const 2)))
    (local.set $fullBytes (i32.and (local.get $rowBytes) (i32.const -16)))
    (local.set $tailMask
      (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.and (local.get $classes) (i32.const 3)))))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $fullEnd (i32.add (local.get $x) (local.get $fullBytes)))
        (local.set $rowEnd (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $largest (global.get $negativeInfinity))
        (local.set $nan (v128.const i64x2 0 0))
        (local.set $p (local.get $x))
        (loop $maxNext
          (local.set $v
            (if (result v128) (i32.lt_u (local.get $p) (local.get $fullEnd))
              (then (v128.load (local.get $p)))
              (else (v128.bitselect (v128.load (local.get $p)) (global.get $negativeInfinity) (local.get $tailMask)))))
          (local.set $largest (f32x4.pmax (local.get $largest) (local.get $v)))
          (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $maxNext (i32.lt_u (local.get $p) (local.get $rowEnd))))
        (local.set $maximum (call $maxLanes (local.get $largest)))
        (if (v128.any_true (local.get $nan)) (then (local.set $maximum (f32.const nan))))
        (f32.store (local.get $maxOut) (local.get $maximum))
        (f64.store (local.get $restOut) (f64.const 0))
        ;; m − m is 0 only for finite m
        (if (f32.eq (f32.sub (local.get $maximum) (local.get $maximum)) (f32.const 0))
          (then
            (local.set $splatMax (f32x4.splat (local.get $maximum)))
            (local.set $sum (v128.const i64x2 0 0))
            (local.set $ties (v128.const i64x2 0 0))
            (local.set $p (local.get $x))
            (local.set $q (local.get $out))
            (loop $sumNext
              (local.set $v
                (if (result v128) (i32.lt_u (local.get $p) (local.get $fullEnd))
                  (then (v128.load (local.get $p)))
                  (else (v128.bitselect (v128.load (local.get $p)) (global.get $negativeInfinity) (local.get $tailMask)))))
              (local.set $e (call $exp4 (f32x4.sub (local.get $v) (local.get $splatMax))))
              (if (local.get $out) (then (v128.store (local.get $q) (local.get $e))))
              (local.set $equal (f32x4.eq (local.get $v) (local.get $splatMax)))
              (local.set $sum (call $accumulateWide (local.get $sum) (v128.andnot (local.get $e) (local.get $equal))))
              ;; a set lane is −1: subtracting counts it
              (local.set $ties (i32x4.sub (local.get $ties) (local.get $equal)))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (local.set $q (i32.add (local.get $q) (i32.const 16)))
              (br_if $sumNext (i32.lt_u (local.get $p) (local.get $rowEnd))))
            (local.set $rest
              (f64.add
                (f64.add (f64x2.extract_lane 0 (local.get $sum)) (f64x2.extract_lane 1 (local.get $sum)))
                (f64.convert_i32_s
                  (i32.sub
                    (i32.add
                      (i32.add (i32x4.extract_lane 0 (local.get $ties)) (i32x4.extract_lane 1 (local.get $ties)))
                      (i32.add (i32x4.extract_lane 2 (local.get $ties)) (i32x4.extract_lane 3 (local.get $ties))))
                    (i32.const 1)))))
            (f64.store (local.get $restOut) (local.get $rest))
            (if (local.get $out)
              (then
                (local.set $factor
                  (f32x4.splat
                    (f32.demote_f64
                      (f64.div
                        (f64.promote_f32 (f32.load (local.get $scales)))
                        (f64.add (f64.const 1) (local.get $rest))))))
                (local.set $q (local.get $out))
                (local.set $p (i32.add (local.get $out) (local.get $rowBytes)))
                (loop $scaleNext
                  (v128.store (local.get $q) (f32x4.mul (v128.load (local.get $q)) (local.get $factor)))
                  (local.set $q (i32.add (local.get $q) (i32.const 16)))
                  (br_if $scaleNext (i32.lt_u (local.get $q) (local.get $p))))))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $out (select (i32.add (local.get $out) (local.get $rowBytes)) (i32.const 0) (local.get $out)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $maxOut (i32.add (local.get $maxOut) (i32.const 4)))
        (local.set $restOut (i32.add (local.get $restOut) (i32.const 8)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $nextRow)))
  )

  ;; out[r, c] = coefficient[r] · exp(x[r, c] − shift[r]) (shift and coefficient are f32 per
  ;; row). With shift = m and coefficient = s / Σ_c e^{x_c − m} this is s · softmax(x): the
  ;; gradient scale times the probabilities. The lanes past a row are not masked: they are
  ;; computed from the next row (or the padding) and land in the spill described at the top.
  (func (export "softmaxRowsScaled")
    (param $x i32) (param $rows i32) (param $classes i32) (param $shift i32) (param $coefficient i32) (param $out i32)
    (local $rowBytes i32) (local $p i32) (local $q i32) (local $rowEnd i32) (local $splatShift v128)
    (local $splatCoefficient v128)
    (local.set $rowBytes (i32.shl (local.get $classes) (i32.const 2)))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $rowEnd (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $splatShift (v128.load32_splat (local.get $shift)))
        (local.set $splatCoefficient (v128.load32_splat (local.get $coefficient)))
        (local.set $p (local.get $x))
        (local.set $q (local.get $out))
        (loop $next
          (v128.store
            (local.get $q)
            (f32x4.mul
              (local.get $splatCoefficient)
              (call $exp4 (f32x4.sub (v128.load (local.get $p)) (local.get $splatShift)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br_if $next (i32.lt_u (local.get $p) (local.get $rowEnd))))
        (local.set $x (local.get $rowEnd))
        (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
        (local.set $shift (i32.add (local.get $shift) (i32.const 4)))
        (local.set $coefficient (i32.add (local.get $coefficient) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $nextRow)))
  )
