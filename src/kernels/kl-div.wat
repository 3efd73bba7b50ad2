;; The sum of KLDivLoss's terms over a run of elements (a fragment of the gloss kernel module, see
;; memory.wat; src/kernels/kl-div.ts drives it and holds its float64 reference).

  ;; total + Σ_i z_i · (log(z_i + ε) − ((x_i − shift) − logSum)) over i < count, added one by one
  ;; in index order, with the reference's zero-label rule: a zero z_i adds nothing (+0) unless
  ;; its log p is NaN, which makes the sum NaN. log and the products are the reference's float64
  ;; operations (math-float64.wat's log is fdlibm's, bit for bit Math.log), so the sum is its
  ;; bits. With $massAt ≠ 0 the float64 there gets Σ z_i added, one by one in index order too
  ;; (the label mass the gradient through the log-softmax needs). With $gradientAt ≠ 0 it also
  ;; writes the gradient on log-probabilities there, factor · z_i (factor = −scale), float32 (flag
  ;; ≠ 0: the float64 product rounded once) or float64. z and x are float32 (flag ≠ 0) or float64;
  ;; a pair past an odd count reads one element more of each and writes one more (callers pad).
  (func (export "klTermSumF64")
    (param $z i32) (param $zFloat32 i32) (param $x i32) (param $xFloat32 i32) (param $count i32)
    (param $shift f64) (param $logSum f64) (param $epsilon f64) (param $total f64) (param $massAt i32)
    (param $gradientAt i32) (param $gradientFloat32 i32) (param $gradientFactor f64)
    (result f64)
    (local $i i32) (local $zStep i32) (local $xStep i32) (local $labels v128) (local $logP v128) (local $terms v128)
    (local $shifts v128) (local $logSums v128) (local $epsilons v128) (local $mass f64)
    (local.set $zStep (select (i32.const 8) (i32.const 16) (local.get $zFloat32)))
    (local.set $xStep (select (i32.const 8) (i32.const 16) (local.get $xFloat32)))
    (local.set $shifts (f64x2.splat (local.get $shift)))
    (local.set $logSums (f64x2.splat (local.get $logSum)))
    (local.set $epsilons (f64x2.splat (local.get $epsilon)))
    (if (local.get $massAt) (then (local.set $mass (f64.load (local.get $massAt)))))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $count)))
        (local.set $labels (call $loadPairF64 (local.get $z) (local.get $zFloat32)))
        (if (local.get $gradientAt)
          (then
            (local.set $terms (f64x2.mul (f64x2.splat (local.get $gradientFactor)) (local.get $labels)))
            (if (local.get $gradientFloat32)
              (then
                (v128.store64_lane 0 (local.get $gradientAt) (f32x4.demote_f64x2_zero (local.get $terms)))
                (local.set $gradientAt (i32.add (local.get $gradientAt) (i32.const 8))))
              (else
                (v128.store (local.get $gradientAt) (local.get $terms))
                (local.set $gradientAt (i32.add (local.get $gradientAt) (i32.const 16)))))))
        ;; log p = (x − shift) − logSum, in that order
        (local.set $logP
          (f64x2.sub
            (f64x2.sub (call $loadPairF64 (local.get $x) (local.get $xFloat32)) (local.get $shifts))
            (local.get $logSums)))
        (local.set $terms
          (f64x2.mul (local.get $labels)
            (f64x2.sub (call $logPairF64 (f64x2.add (local.get $labels) (local.get $epsilons))) (local.get $logP))))
        ;; a zero label: +0, or its log p where that is NaN
        (local.set $terms
          (v128.bitselect
            (v128.and (local.get $logP) (f64x2.ne (local.get $logP) (local.get $logP)))
            (local.get $terms)
            (f64x2.eq (local.get $labels) (f64x2.splat (f64.const 0)))))
        (local.set $total (f64.add (local.get $total) (f64x2.extract_lane 0 (local.get $terms))))
        (local.set $mass (f64.add (local.get $mass) (f64x2.extract_lane 0 (local.get $labels))))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $count))
          (then
            (local.set $total (f64.add (local.get $total) (f64x2.extract_lane 1 (local.get $terms))))
            (local.set $mass (f64.add (local.get $mass) (f64x2.extract_lane 1 (local.get $labels))))))
        (local.set $z (i32.add (local.get $z) (local.get $zStep)))
        (local.set $x (i32.add (local.get $x) (local.get $xStep)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (if (local.get $massAt) (then (f64.store (local.get $massAt) (local.get $mass))))
    (local.get $total)
  )
