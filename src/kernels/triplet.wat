;; TripletLoss in one pass per row, for a recorded call that differentiates the anchor (pred).
;; (A fragment of the gloss kernel module, see memory.wat.)
;;
;; For segment (sample) j of `length` elements of the anchor a, positive p and negative q:
;;   distance = Σ (p − a)² − (q − a)² = Σ (p − q) · (p + q − 2a)   (float64 terms and sums)
;;   ℓ = max(distance + margin, 0), NaN kept            → sums[j]
;;   gradient[i] = scales[j] · 2 · (q − p)[i] where ℓ > 0 (NaN where ℓ is NaN), else 0
;; The row is read twice while it is in cache: once for the distance, once for the gradient.
;; Whole vectors first, then one element at a time in lane 0 (zero lanes add nothing).
;;
;; Float64 arithmetic on the widened inputs (DECISIONS 15): in float32, (p − a)² overflows for
;; |p − a| ≥ 1.9e19 (and p − a itself at ±3.4e38), and two infinite squares then cancel to NaN
;; where the true distance — two equal huge squares — is 0 and ℓ = margin. In float64 every
;; difference of two float32 values is exact or correctly rounded and its square (≤ 4.6e77)
;; cannot overflow; the gradient 2·scale·(q − p) is rounded to float32 once, on store.
;;
;; Derivation of the term: (p − a)² − (q − a)² = ((p − a) − (q − a)) · ((p − a) + (q − a))
;; = (p − q) · (p + q − 2a). The difference of squares subtracts two numbers that agree in their
;; leading digits whenever p and q are about equally far from a, and loses all of them when a is
;; far from both (a = 3e38, p and q near 0: both squares round to a², the true term 2a·(q − p) ≈
;; 1e38 vanishes and the sample's ℓ is rounding noise); the product of the two factors has a
;; relative error of a few ulps whatever the inputs, at the same count of operations.
;;
;; The terms of a row can still cancel below their rounding errors (1e30 and 3.4e38 in one element,
;; 3.4e38 and −1.6 in the next: squares of ~1e77 whose true sum is ~1e60), so the kernel also sums
;; each term's error scale |d| · (|s| + |t|) (d = p − q, t = p + q, s = t − 2a: a term is off by
;; at most 3u of it, u = 2^−53, and the sum by u per term) and marks a gap not above
;; (n + 8) · 2^−53 times that sum with NaN when every input is finite: the driver (triplet.ts)
;; recomputes that sample exactly. For float32 inputs no term underflows or overflows in float64.

  ;; (p − a)² − (q − a)² of float64 pairs, as (p − q) · (p + q − 2a) (see the derivation at the
  ;; top of this file).
  ;; @inline
  (func $tripletTerm2 (param $anchor v128) (param $positive v128) (param $negative v128) (result v128)
    (f64x2.mul
      (f64x2.sub (local.get $positive) (local.get $negative))
      (f64x2.sub
        (f64x2.add (local.get $positive) (local.get $negative))
        (f64x2.add (local.get $anchor) (local.get $anchor))))
  )

  ;; size + |p − q| · (|p + q − 2a| + |p + q|): the scale of $tripletTerm2's rounding error (see
  ;; the bound below; the same differences and sums, which the compiler computes once).
  ;; @inline
  (func $addErrorScale2 (param $size v128) (param $anchor v128) (param $positive v128) (param $negative v128) (result v128)
    (local $total v128)
    (local.set $total (f64x2.add (local.get $positive) (local.get $negative)))
    (f64x2.add
      (local.get $size)
      (f64x2.mul
        (f64x2.abs (f64x2.sub (local.get $positive) (local.get $negative)))
        (f64x2.add
          (f64x2.abs (f64x2.sub (local.get $total) (f64x2.add (local.get $anchor) (local.get $anchor))))
          (f64x2.abs (local.get $total)))))
  )

  (func (export "tripletSegments")
    (param $a i32) (param $p i32) (param $q i32) (param $length i32) (param $segments i32)
    (param $scales i32) (param $margin f64) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $row i32) (local $vectorBytes i32) (local $rowBytes i32) (local $k i32)
    (local $anchor v128) (local $positive v128) (local $negative v128) (local $s0 v128) (local $s1 v128)
    (local $gap f64) (local $factor v128) (local $size0 v128) (local $size1 v128) (local $size f64)
    (local $anchorLow v128) (local $positiveLow v128) (local $negativeLow v128)
    (local $anchorHigh v128) (local $positiveHigh v128) (local $negativeHigh v128)
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (local.set $rowBytes (i32.shl (local.get $length) (i32.const 2)))
    (local.set $vectorBytes (i32.shl (i32.and (local.get $length) (i32.const -4)) (i32.const 2)))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        ;; Pass 1: the distance.
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $size0 (v128.const i64x2 0 0))
        (local.set $size1 (v128.const i64x2 0 0))
        (local.set $k (i32.const 0))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $k) (local.get $vectorBytes)))
            (local.set $anchor (v128.load (i32.add (local.get $a) (local.get $k))))
            (local.set $positive (v128.load (i32.add (local.get $p) (local.get $k))))
            (local.set $negative (v128.load (i32.add (local.get $q) (local.get $k))))
            (local.set $anchorLow (f64x2.promote_low_f32x4 (local.get $anchor)))
            (local.set $positiveLow (f64x2.promote_low_f32x4 (local.get $positive)))
            (local.set $negativeLow (f64x2.promote_low_f32x4 (local.get $negative)))
            (local.set $anchorHigh (call $promoteHigh (local.get $anchor)))
            (local.set $positiveHigh (call $promoteHigh (local.get $positive)))
            (local.set $negativeHigh (call $promoteHigh (local.get $negative)))
            (local.set $s0
              (f64x2.add (local.get $s0)
                (call $tripletTerm2 (local.get $anchorLow) (local.get $positiveLow) (local.get $negativeLow))))
            (local.set $s1
              (f64x2.add (local.get $s1)
                (call $tripletTerm2 (local.get $anchorHigh) (local.get $positiveHigh) (local.get $negativeHigh))))
            (local.set $size0
              (call $addErrorScale2 (local.get $size0) (local.get $anchorLow) (local.get $positiveLow) (local.get $negativeLow)))
            (local.set $size1
              (call $addErrorScale2 (local.get $size1) (local.get $anchorHigh) (local.get $positiveHigh) (local.get $negativeHigh)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $k) (local.get $rowBytes)))
            (local.set $anchorLow (f64x2.promote_low_f32x4 (v128.load32_zero (i32.add (local.get $a) (local.get $k)))))
            (local.set $positiveLow (f64x2.promote_low_f32x4 (v128.load32_zero (i32.add (local.get $p) (local.get $k)))))
            (local.set $negativeLow (f64x2.promote_low_f32x4 (v128.load32_zero (i32.add (local.get $q) (local.get $k)))))
            (local.set $s0
              (f64x2.add (local.get $s0)
                (call $tripletTerm2 (local.get $anchorLow) (local.get $positiveLow) (local.get $negativeLow))))
            (local.set $size0
              (call $addErrorScale2 (local.get $size0) (local.get $anchorLow) (local.get $positiveLow) (local.get $negativeLow)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $tail)))
        (local.set $gap
          (f64.add
            (local.get $margin)
            (f64.add
              (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))
              (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))))
        ;; A finite error scale (every input finite) whose bound the gap does not clear: NaN, for
        ;; the driver's exact path.
        (local.set $size
          (f64.add
            (f64.add (f64x2.extract_lane 0 (local.get $size0)) (f64x2.extract_lane 1 (local.get $size0)))
            (f64.add (f64x2.extract_lane 0 (local.get $size1)) (f64x2.extract_lane 1 (local.get $size1)))))
        (if (i32.and
              (f64.eq (f64.sub (local.get $size) (local.get $size)) (f64.const 0))
              (i32.eqz
                (f64.gt
                  (f64.abs (local.get $gap))
                  (f64.mul
                    (local.get $size)
                    (f64.mul (f64.convert_i32_u (i32.add (local.get $length) (i32.const 8))) (f64.const 0x1p-53))))))
          (then (local.set $gap (f64.const nan))))
        ;; max(gap, 0) that keeps a NaN (NaN > 0 is false, NaN ≠ NaN is true).
        (if (i32.eqz (i32.or (f64.gt (local.get $gap) (f64.const 0)) (f64.ne (local.get $gap) (local.get $gap))))
          (then (local.set $gap (f64.const 0))))
        (f64.store (local.get $sums) (local.get $gap))
        ;; Pass 2: the gradient, 2·scale·(q − p) on an active row (NaN on a NaN row); an
        ;; inactive row gets exact zeros (not 0·(q − p), which an infinite input would make NaN).
        (if (f64.eq (local.get $gap) (f64.const 0))
          (then (memory.fill (local.get $gradient) (i32.const 0) (local.get $rowBytes)))
          (else
            (local.set $factor
              (f64x2.splat
                (f64.mul
                  (f64.mul (f64.const 2) (f64.promote_f32 (f32.load (local.get $scales))))
                  (select (f64.const nan) (f64.const 1) (f64.ne (local.get $gap) (local.get $gap))))))
            (local.set $k (i32.const 0))
            (block $gradientVectorsDone
              (loop $gradientVectors
                (br_if $gradientVectorsDone (i32.ge_u (local.get $k) (local.get $vectorBytes)))
                (local.set $positive (v128.load (i32.add (local.get $p) (local.get $k))))
                (local.set $negative (v128.load (i32.add (local.get $q) (local.get $k))))
                (v128.store (i32.add (local.get $gradient) (local.get $k))
                  (call $narrowPair
                    (f64x2.mul (local.get $factor)
                      (f64x2.sub (f64x2.promote_low_f32x4 (local.get $negative)) (f64x2.promote_low_f32x4 (local.get $positive))))
                    (f64x2.mul (local.get $factor)
                      (f64x2.sub (call $promoteHigh (local.get $negative)) (call $promoteHigh (local.get $positive))))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $gradientVectors)))
            (block $gradientTailDone
              (loop $gradientTail
                (br_if $gradientTailDone (i32.ge_u (local.get $k) (local.get $rowBytes)))
                (f32.store (i32.add (local.get $gradient) (local.get $k))
                  (f32.demote_f64
                    (f64.mul
                      (f64x2.extract_lane 0 (local.get $factor))
                      (f64.sub
                        (f64.promote_f32 (f32.load (i32.add (local.get $q) (local.get $k))))
                        (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $k))))))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $gradientTail)))))
        (local.set $a (i32.add (local.get $a) (local.get $rowBytes)))
        (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $q (i32.add (local.get $q) (local.get $rowBytes)))
        (local.set $gradient (i32.add (local.get $gradient) (local.get $rowBytes)))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $segment)))
  )
