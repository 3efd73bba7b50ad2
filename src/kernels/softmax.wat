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

;; Label smoothing's lane helpers (expanded inline, see scripts/wat-inline.mjs). Four gradient
;; entries g minus u · w_c, w four f64 weights at `weights`: each f32(f64(g) − u · w_c), the float64
;; reference's product, subtraction and one rounding.
  ;; @inline
  (func $subtractBias4 (param $g v128) (param $uniform v128) (param $weights i32) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero
        (f64x2.sub (f64x2.promote_low_f32x4 (local.get $g))
          (f64x2.mul (local.get $uniform) (v128.load (local.get $weights)))))
      (f32x4.demote_f64x2_zero
        (f64x2.sub
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $g) (local.get $g)))
          (f64x2.mul (local.get $uniform) (v128.load offset=16 (local.get $weights)))))))

  ;; Σ w_c · (x_y − x_c) over four logits v (f64 lanes; each difference in f64), label logit x_y
  ;; splat in f64, weights as in $subtractBias4.
  ;; @inline
  (func $spread4 (param $v v128) (param $label v128) (param $weights i32) (result v128)
    (f64x2.add
      (f64x2.mul (v128.load (local.get $weights))
        (f64x2.sub (local.get $label) (f64x2.promote_low_f32x4 (local.get $v))))
      (f64x2.mul (v128.load offset=16 (local.get $weights))
        (f64x2.sub (local.get $label)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))))

  ;; sum + the four float32 lanes of e, widened, leaving out the lanes set in `maxima`: two f64
  ;; adds into sum, one of them on the loop's chain.
  ;; @inline
  (func $addBesidesMaxima (param $sum v128) (param $e v128) (param $maxima v128) (result v128)
    (local.set $e (v128.andnot (local.get $e) (local.get $maxima)))
    (f64x2.add (local.get $sum)
      (f64x2.add (f64x2.promote_low_f32x4 (local.get $e)) (call $promoteHigh (local.get $e))))
  )

;; Per row: maxOut[r] (f32) = the row maximum m (NaN if the row holds a NaN), and, when m is
  ;; finite, restOut[r] (f64) = Σ exp(x_c − m) over every class but one that attains m (else 0;
  ;; the caller handles those rows). With out ≠ 0, also out[r, c] = scales[r] · e^{x_c − m} /
  ;; (1 + rest) for the rows whose m is finite: the scaled softmax, each exponential taken once
  ;; (stored, then scaled while the row is in cache); with scales = 0, out[r, c] = e^{x_c − m}
  ;; unscaled (the pieces of a long row, rescaled by the caller). With labels ≠ 0 (and scales ≠ 0) (i32 per row) the label's
  ;; entry becomes the gradient of the cross-entropy, s · (p − 1), computed without cancellation:
  ;; p − 1 = −rest / (1 + rest) exactly when x_label = m (its exponential is exactly 1), and
  ;; otherwise p ≤ e/(1 + e) < ½, so p − 1 ∈ (−1, −½] loses nothing to the subtraction.
  ;;
  ;; Derivation: log Σ_c e^{x_c} = m + log(1 + rest), and leaving one maximal term (exactly 1)
  ;; out of the sum lets the caller take log1p(rest), which keeps the digits of a near-certain
  ;; row (rest ≪ 1). Terms equal to m are counted instead of summed (ties − 1 of them are added
  ;; back as exact ones). The float32 exponentials ($expNonPositive4, within 1 ulp: x − m ≤ 0)
  ;; are summed in float64 (one f64x2 accumulator: the loop is bound by the vector ports, not by
  ;; that add chain), so the sum of 1000 terms carries only the per-term rounding. pmax is one
  ;; instruction but skips NaN, so NaN lanes are tracked apart (v ≠ v).
  ;;
  ;; Every store stays inside the row: the last partial vector is blended with what `out` holds
  ;; past the row, so `out` may be the caller's own memory (a gradient written in place).
  ;;
  ;; Label smoothing (weights ≠ 0, with out, scales and labels): weights holds w_c (f64 per
  ;; class, zero-padded by four past `classes`) and uniform[r] (f64) holds u_r = s_r · ε / C. For
  ;; a row whose m is finite every gradient entry but the label's becomes f32(f64(g) − u_r · w_c)
  ;; (g the entry above: the float64 reference's rounding exactly; the caller writes the label's
  ;; entry from the row's normalisers), and
  ;; uniform[r] ← Σ_c w_c · (x_y − x_c), summed in f64 during the max pass (each difference in
  ;; f64: no cancellation for huge logits; lanes past the row read as x_y, a 0 difference); for
  ;; the other rows uniform[r] ← NaN (the caller's float64 path takes them).
  (func (export "softmaxRowStatistics")
    (param $x i32) (param $rows i32) (param $classes i32) (param $scales i32)
    (param $maxOut i32) (param $restOut i32) (param $out i32) (param $labels i32)
    (param $weights i32) (param $uniform i32)
    (local $w i32) (local $raw v128) (local $splatLabel v128) (local $splatLabel64 v128) (local $spread v128)
    (local $splatUniform v128) (local $labelExp f32) (local $labelGradient f32)
    (local $rowBytes i32) (local $fullBytes i32) (local $tailMask v128) (local $p i32) (local $q i32)
    (local $fullEnd i32) (local $rowEnd i32) (local $largest v128) (local $other v128) (local $nan v128)
    (local $maximum f32) (local $splatMax v128) (local $v v128) (local $e v128) (local $equal v128)
    (local $sum v128) (local $swap v128)
    (local $ties v128) (local $rest f64) (local $factor v128) (local $scale f64) (local $at i32)
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
        (local.set $other (global.get $negativeInfinity))
        (local.set $nan (v128.const i64x2 0 0))
        (local.set $p (local.get $x))
        (if (local.get $weights)
          (then
            (local.set $splatLabel
              (v128.load32_splat (i32.add (local.get $x) (i32.shl (i32.load (local.get $labels)) (i32.const 2)))))
            (local.set $splatLabel64 (f64x2.promote_low_f32x4 (local.get $splatLabel)))
            (local.set $splatUniform (v128.load64_splat (local.get $uniform)))
            (local.set $spread (v128.const i64x2 0 0))
            (local.set $w (local.get $weights))))
        ;; the max pass (with smoothing, the same loop also sums the spread)
        (loop $maxNext
          (local.set $raw (v128.load (local.get $p)))
          (local.set $v
            (if (result v128) (i32.lt_u (local.get $p) (local.get $fullEnd))
              (then (local.get $raw))
              (else (v128.bitselect (local.get $raw) (global.get $negativeInfinity) (local.get $tailMask)))))
          (if (local.get $weights)
            (then
              (local.set $spread
                (f64x2.add (local.get $spread)
                  (call $spread4
                    (if (result v128) (i32.lt_u (local.get $p) (local.get $fullEnd))
                      (then (local.get $raw))
                      (else (v128.bitselect (local.get $raw) (local.get $splatLabel) (local.get $tailMask))))
                    (local.get $splatLabel64)
                    (local.get $w))))
              (local.set $w (i32.add (local.get $w) (i32.const 32)))))
          ;; two running maxima, swapped each vector: two independent chains
          (local.set $swap (f32x4.pmax (local.get $largest) (local.get $v)))
          (local.set $largest (local.get $other))
          (local.set $other (local.get $swap))
          (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $maxNext (i32.lt_u (local.get $p) (local.get $rowEnd))))
        ;; pmax across lanes (one instruction each): NaN lanes are tracked apart, and a −0 or +0
        ;; maximum shifts every logit alike
        (local.set $largest (f32x4.pmax (local.get $largest) (local.get $other)))
        (local.set $largest (f32x4.pmax (local.get $largest)
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $largest) (local.get $largest))))
        (local.set $largest (f32x4.pmax (local.get $largest)
          (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $largest) (local.get $largest))))
        (local.set $maximum (f32x4.extract_lane 0 (local.get $largest)))
        (if (v128.any_true (local.get $nan)) (then (local.set $maximum (f32.const nan))))
        (f32.store (local.get $maxOut) (local.get $maximum))
        (f64.store (local.get $restOut) (f64.const 0))
        (if (local.get $weights)
          (then
            (f64.store (local.get $uniform)
              (if (result f64) (f32.eq (f32.sub (local.get $maximum) (local.get $maximum)) (f32.const 0))
                (then (f64.add (f64x2.extract_lane 0 (local.get $spread)) (f64x2.extract_lane 1 (local.get $spread))))
                (else (f64.const nan))))))
        ;; m − m is 0 only for finite m
        (if (f32.eq (f32.sub (local.get $maximum) (local.get $maximum)) (f32.const 0))
          (then
            (local.set $splatMax (f32x4.splat (local.get $maximum)))
            (local.set $sum (v128.const i64x2 0 0))
            (local.set $ties (v128.const i64x2 0 0))
            (local.set $p (local.get $x))
            (local.set $q (local.get $out))
            (loop $sumNext
              (local.set $v (v128.load (local.get $p)))
              ;; the last partial vector: its lanes past the row read as −Infinity
              (if (i32.ge_u (local.get $p) (local.get $fullEnd))
                (then (local.set $v (v128.bitselect (local.get $v) (global.get $negativeInfinity) (local.get $tailMask)))))
              (local.set $e (call $expNonPositive4 (f32x4.sub (local.get $v) (local.get $splatMax))))
              (if (local.get $out)
                (then
                  (v128.store (local.get $q)
                    (if (result v128) (i32.lt_u (local.get $p) (local.get $fullEnd))
                      (then (local.get $e))
                      (else (v128.bitselect (local.get $e) (v128.load (local.get $q)) (local.get $tailMask)))))))
              (local.set $equal (f32x4.eq (local.get $v) (local.get $splatMax)))
              (local.set $sum (call $addBesidesMaxima (local.get $sum) (local.get $e) (local.get $equal)))
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
            (if (i32.and (i32.ne (local.get $out) (i32.const 0)) (i32.ne (local.get $scales) (i32.const 0)))
              (then
                (local.set $scale (f64.promote_f32 (f32.load (local.get $scales))))
                (local.set $factor
                  (f32x4.splat
                    (f32.demote_f64 (f64.div (local.get $scale) (f64.add (f64.const 1) (local.get $rest))))))
                (if (local.get $labels)
                  (then
                    (local.set $at (i32.shl (i32.load (local.get $labels)) (i32.const 2)))
                    ;; the label's exponential, before the sweep below may subtract its bias
                    (local.set $labelExp (f32.load (i32.add (local.get $out) (local.get $at))))))
                (local.set $q (local.get $out))
                (local.set $p (i32.add (local.get $out) (local.get $fullBytes)))
                (local.set $w (local.get $weights))
                (block $scaled
                  (br_if $scaled (i32.ge_u (local.get $q) (local.get $p)))
                  (if (local.get $weights)
                    (then
                      (loop $scaleBiasNext
                        (v128.store (local.get $q)
                          (call $subtractBias4
                            (f32x4.mul (v128.load (local.get $q)) (local.get $factor))
                            (local.get $splatUniform)
                            (local.get $w)))
                        (local.set $w (i32.add (local.get $w) (i32.const 32)))
                        (local.set $q (i32.add (local.get $q) (i32.const 16)))
                        (br_if $scaleBiasNext (i32.lt_u (local.get $q) (local.get $p)))))
                    (else
                      (loop $scaleNext
                        (v128.store (local.get $q) (f32x4.mul (v128.load (local.get $q)) (local.get $factor)))
                        (local.set $q (i32.add (local.get $q) (i32.const 16)))
                        (br_if $scaleNext (i32.lt_u (local.get $q) (local.get $p)))))))
                (if (i32.and (local.get $classes) (i32.const 3))
                  (then
                    (local.set $v (f32x4.mul (v128.load (local.get $q)) (local.get $factor)))
                    (if (local.get $weights)
                      (then (local.set $v (call $subtractBias4 (local.get $v) (local.get $splatUniform) (local.get $w)))))
                    (v128.store (local.get $q)
                      (v128.bitselect (local.get $v) (v128.load (local.get $q)) (local.get $tailMask)))))
                (if (local.get $labels)
                  (then
                    (local.set $labelGradient
                      (f32.demote_f64
                        (if (result f64)
                          (f32.eq (f32.load (i32.add (local.get $x) (local.get $at))) (local.get $maximum))
                          (then
                            (f64.div
                              (f64.mul (f64.neg (local.get $scale)) (local.get $rest))
                              (f64.add (f64.const 1) (local.get $rest))))
                          ;; s · p − s, except for an infinite s, where that is ∞ − ∞: p − 1 lies in
                          ;; (−1, −½] here, so s · (p − 1) = −s.
                          (else
                            (if (result f64) (f64.eq (f64.abs (local.get $scale)) (f64.const inf))
                              (then (f64.neg (local.get $scale)))
                              (else
                                (f64.sub
                                  (f64.promote_f32
                                    (f32.mul (local.get $labelExp) (f32x4.extract_lane 0 (local.get $factor))))
                                  (local.get $scale))))))))
                    (f32.store (i32.add (local.get $out) (local.get $at)) (local.get $labelGradient))))))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $out (select (i32.add (local.get $out) (local.get $rowBytes)) (i32.const 0) (local.get $out)))
        (local.set $labels (select (i32.add (local.get $labels) (i32.const 4)) (i32.const 0) (local.get $labels)))
        (local.set $scales (select (i32.add (local.get $scales) (i32.const 4)) (i32.const 0) (local.get $scales)))
        (local.set $maxOut (i32.add (local.get $maxOut) (i32.const 4)))
        (local.set $restOut (i32.add (local.get $restOut) (i32.const 8)))
        (local.set $uniform (select (i32.add (local.get $uniform) (i32.const 8)) (i32.const 0) (local.get $weights)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $nextRow)))
  )

  ;; out[r, c] = coefficient[r] · exp(x[r, c] − shift[r]) (shift and coefficient are f32 per
  ;; row), shift[r] the row's maximum (or larger: $expNonPositive4, the exponential the one-pass
  ;; kernel takes, so both give the same bits). With coefficient = s / Σ_c e^{x_c − m} this is
  ;; s · softmax(x): the gradient scale times the probabilities. The lanes past a row are not
  ;; masked: they are computed from the next row (or the padding) and land in the spill
  ;; described at the top.
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
              (call $expNonPositive4 (f32x4.sub (v128.load (local.get $p)) (local.get $splatShift)))))
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

  ;; values[0 … count) ·= factor, in place; the last partial vector is blended, so nothing past
  ;; `count` changes (the caller still keeps 16 readable bytes past the end). The second sweep
  ;; of a row longer than one chunk: each piece's probabilities, normalised by the piece's own
  ;; maximum and sum, rescaled to the row's.
  (func (export "scaleFloats") (param $values i32) (param $count i32) (param $factor f32)
    (local $end i32) (local $splat v128) (local $tailMask v128)
    (local.set $splat (f32x4.splat (local.get $factor)))
    (local.set $end (i32.add (local.get $values) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $values) (local.get $end)))
      (loop $next
        (v128.store (local.get $values) (f32x4.mul (v128.load (local.get $values)) (local.get $splat)))
        (local.set $values (i32.add (local.get $values) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $values) (local.get $end)))))
    (if (i32.and (local.get $count) (i32.const 3))
      (then
        (local.set $tailMask
          (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.and (local.get $count) (i32.const 3)))))
        (v128.store (local.get $values)
          (v128.bitselect
            (f32x4.mul (v128.load (local.get $values)) (local.get $splat))
            (v128.load (local.get $values))
            (local.get $tailMask)))))
  )

