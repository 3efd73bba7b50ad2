;; The sums of the terms of a dense target z against log p over a run of elements: KLDivLoss's
;; z · (log(z + ε) − log p) and the cross-entropy −z · log p of SoftmaxCrossEntropyLoss with
;; dense labels (a fragment of the gloss kernel module, see memory.wat; src/kernels/dense-target.ts
;; drives it and holds the float64 references).

  ;; The cross-entropy terms of a pair, −(z · log p), a zero z beside log p = −∞ (a masked class)
  ;; giving +0: the one home of the formula in wat (crossEntropyTerm is its float64 reference).
  ;; @inline
  (func $crossEntropyPair (param $labels v128) (param $logP v128) (result v128)
    (v128.andnot
      (f64x2.neg (f64x2.mul (local.get $labels) (local.get $logP)))
      (v128.and
        (f64x2.eq (local.get $labels) (f64x2.splat (f64.const 0)))
        (f64x2.eq (local.get $logP) (f64x2.splat (f64.const -inf)))))
  )

  ;; log p = (x − shift) − logSum of a pair, in that order (the block path's logProbabilityAt).
  ;; @inline
  (func $logProbabilityPair (param $x v128) (param $shifts v128) (param $logSums v128) (result v128)
    (f64x2.sub (f64x2.sub (local.get $x) (local.get $shifts)) (local.get $logSums))
  )

  ;; a − scale · z of a pair, in float64 (the dense labels' part of the softmax gradient).
  ;; @inline
  (func $minusScaledPair (param $a v128) (param $z v128) (param $scales v128) (result v128)
    (f64x2.sub (local.get $a) (f64x2.mul (local.get $scales) (local.get $z)))
  )

  ;; total + Σ_i term(z_i, log p_i) over i < count with log p_i = (x_i − shift) − logSum (in that
  ;; order), added one by one in index order, the term chosen by $kl:
  ;; - KL (≠ 0): z · (log(z + ε) − log p); a zero z adds +0, unless its log p is NaN, which makes
  ;;   the sum NaN;
  ;; - cross-entropy (0): −(z · log p); a zero z beside log p = −∞ (a masked class) adds +0.
  ;; log and the products are the references' float64 operations (math-float64.wat's log is
  ;; fdlibm's, bit for bit Math.log), so the sum is their bits. With $massAt ≠ 0 the float64 there
  ;; gets Σ z_i added, in index order too (the label mass the gradient through the log-softmax
  ;; needs). With $gradientAt ≠ 0 it also writes factor · z_i there (the gradient on log p, factor
  ;; = −scale), float32 (flag ≠ 0: the float64 product rounded once) or float64. With $termsAt ≠
  ;; 0 it writes each element's term there too, float64 (the terms the sum adds: for a zero label
  ;; +0, or its NaN log p). z and x are float32 (flag ≠ 0) or float64; a pair past an odd count
  ;; reads one element more of each and writes one more (callers pad).
  (func (export "denseTargetTermSumF64")
    (param $kl i32) (param $z i32) (param $zFloat32 i32) (param $x i32) (param $xFloat32 i32) (param $count i32)
    (param $shift f64) (param $logSum f64) (param $epsilon f64) (param $total f64) (param $massAt i32)
    (param $gradientAt i32) (param $gradientFloat32 i32) (param $gradientFactor f64) (param $termsAt i32)
    (result f64)
    (local $i i32) (local $zStep i32) (local $xStep i32) (local $labels v128) (local $logP v128) (local $terms v128)
    (local $shifts v128) (local $logSums v128) (local $epsilons v128) (local $mass f64)
    (local $zFour v128) (local $xFour v128)
    (local.set $zStep (select (i32.const 8) (i32.const 16) (local.get $zFloat32)))
    (local.set $xStep (select (i32.const 8) (i32.const 16) (local.get $xFloat32)))
    (local.set $shifts (f64x2.splat (local.get $shift)))
    (local.set $logSums (f64x2.splat (local.get $logSum)))
    (local.set $epsilons (f64x2.splat (local.get $epsilon)))
    (if (local.get $massAt) (then (local.set $mass (f64.load (local.get $massAt)))))
    (local.set $i (i32.const 0))
    ;; The common call, cross-entropy of float32 z and x with nothing written but the sums: four
    ;; elements a step with the flags out of the loop, the same operations and the same order of
    ;; additions as the loop below, which takes the elements after the last whole four.
    (if (i32.and
          (i32.and (i32.eqz (local.get $kl)) (i32.and (local.get $zFloat32) (local.get $xFloat32)))
          (i32.eqz (i32.or (local.get $gradientAt) (local.get $termsAt))))
      (then
        (block $fourDone
          (loop $nextFour
            (br_if $fourDone (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $count)))
            (local.set $zFour (v128.load (local.get $z)))
            (local.set $xFour (v128.load (local.get $x)))
            (local.set $labels (f64x2.promote_low_f32x4 (local.get $zFour)))
            (local.set $terms
              (call $crossEntropyPair (local.get $labels)
                (call $logProbabilityPair
                  (f64x2.promote_low_f32x4 (local.get $xFour)) (local.get $shifts) (local.get $logSums))))
            (local.set $total (f64.add (local.get $total) (f64x2.extract_lane 0 (local.get $terms))))
            (local.set $mass (f64.add (local.get $mass) (f64x2.extract_lane 0 (local.get $labels))))
            (local.set $total (f64.add (local.get $total) (f64x2.extract_lane 1 (local.get $terms))))
            (local.set $mass (f64.add (local.get $mass) (f64x2.extract_lane 1 (local.get $labels))))
            (local.set $labels (call $promoteHigh (local.get $zFour)))
            (local.set $terms
              (call $crossEntropyPair (local.get $labels)
                (call $logProbabilityPair
                  (call $promoteHigh (local.get $xFour)) (local.get $shifts) (local.get $logSums))))
            (local.set $total (f64.add (local.get $total) (f64x2.extract_lane 0 (local.get $terms))))
            (local.set $mass (f64.add (local.get $mass) (f64x2.extract_lane 0 (local.get $labels))))
            (local.set $total (f64.add (local.get $total) (f64x2.extract_lane 1 (local.get $terms))))
            (local.set $mass (f64.add (local.get $mass) (f64x2.extract_lane 1 (local.get $labels))))
            (local.set $z (i32.add (local.get $z) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $nextFour)))))
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
        (local.set $logP
          (call $logProbabilityPair
            (call $loadPairF64 (local.get $x) (local.get $xFloat32)) (local.get $shifts) (local.get $logSums)))
        (if (local.get $kl)
          (then
            (local.set $terms
              (f64x2.mul (local.get $labels)
                (f64x2.sub (call $logPairF64 (f64x2.add (local.get $labels) (local.get $epsilons))) (local.get $logP))))
            ;; a zero label: +0, or its log p where that is NaN
            (local.set $terms
              (v128.bitselect
                (v128.and (local.get $logP) (f64x2.ne (local.get $logP) (local.get $logP)))
                (local.get $terms)
                (f64x2.eq (local.get $labels) (f64x2.splat (f64.const 0))))))
          (else
            (local.set $terms (call $crossEntropyPair (local.get $labels) (local.get $logP)))))
        (if (local.get $termsAt)
          (then
            (v128.store (local.get $termsAt) (local.get $terms))
            (local.set $termsAt (i32.add (local.get $termsAt) (i32.const 16)))))
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

;; dst[i] = a[i] − scale · z[i] for i < count: a float32 ($aFloat32 ≠ 0: the softmax kernel's
  ;; s·Σz·p, widened) or float64, z float32 ($zFloat32 ≠ 0) or float64, the difference taken in
  ;; float64 and rounded once into dst (float32 with $dstFloat32 ≠ 0). dst may be a. A pair past
  ;; an odd count reads one element more of a and z; dst gets exactly count elements (it may be
  ;; a gradient region of the arena, whose neighbour must not change).
  (func (export "subtractScaledLabelsF64")
    (param $a i32) (param $aFloat32 i32) (param $z i32) (param $zFloat32 i32) (param $count i32) (param $scale f64)
    (param $dst i32) (param $dstFloat32 i32)
    (local $i i32) (local $aStep i32) (local $zStep i32) (local $scales v128) (local $difference v128)
    (local $aFour v128) (local $zFour v128)
    (local.set $aStep (select (i32.const 8) (i32.const 16) (local.get $aFloat32)))
    (local.set $zStep (select (i32.const 8) (i32.const 16) (local.get $zFloat32)))
    (local.set $scales (f64x2.splat (local.get $scale)))
    (local.set $i (i32.const 0))
    ;; All float32 (the softmax gradient's call): four elements a step, the same float64
    ;; operations and roundings; the loop below takes the elements after the last whole four.
    (if (i32.and (local.get $dstFloat32) (i32.and (local.get $aFloat32) (local.get $zFloat32)))
      (then
        (block $fourDone
          (loop $nextFour
            (br_if $fourDone (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $count)))
            (local.set $aFour (v128.load (local.get $a)))
            (local.set $zFour (v128.load (local.get $z)))
            (v128.store (local.get $dst)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (f32x4.demote_f64x2_zero
                  (call $minusScaledPair
                    (f64x2.promote_low_f32x4 (local.get $aFour)) (f64x2.promote_low_f32x4 (local.get $zFour))
                    (local.get $scales)))
                (f32x4.demote_f64x2_zero
                  (call $minusScaledPair
                    (call $promoteHigh (local.get $aFour)) (call $promoteHigh (local.get $zFour))
                    (local.get $scales)))))
            (local.set $a (i32.add (local.get $a) (i32.const 16)))
            (local.set $z (i32.add (local.get $z) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $nextFour)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $count)))
        (local.set $difference
          (call $minusScaledPair
            (call $loadPairF64 (local.get $a) (local.get $aFloat32))
            (call $loadPairF64 (local.get $z) (local.get $zFloat32))
            (local.get $scales)))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $count))
          (then
            (if (local.get $dstFloat32)
              (then (v128.store64_lane 0 (local.get $dst) (f32x4.demote_f64x2_zero (local.get $difference))))
              (else (v128.store (local.get $dst) (local.get $difference)))))
          (else
            (if (local.get $dstFloat32)
              (then (f32.store (local.get $dst) (f32.demote_f64 (f64x2.extract_lane 0 (local.get $difference)))))
              (else (f64.store (local.get $dst) (f64x2.extract_lane 0 (local.get $difference)))))))
        (local.set $dst (i32.add (local.get $dst) (select (i32.const 8) (i32.const 16) (local.get $dstFloat32))))
        (local.set $a (i32.add (local.get $a) (local.get $aStep)))
        (local.set $z (i32.add (local.get $z) (local.get $zStep)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
  )
