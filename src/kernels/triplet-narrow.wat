;; triplet-narrow.wat: the float32-lane twins of triplet.wat's one-pass kernels (the previous kernels,
;; kept for speed). Four float32 lanes per vector instead of two float64 ones, so about twice the
;; throughput, and exact enough wherever no term overflows float32: the driver (_segments.ts) runs
;; these first and reruns a chunk through the float64 kernels when a segment's sum comes out not
;; finite, which is how an overflow of a float32 term shows (an overflowing ℓ is ±Infinity, and an
;; overflowing slope only ever meets an overflowing ℓ in these losses), and how a NaN input shows.
;;
;; TripletLoss in one pass per row, for a recorded call that differentiates the anchor (pred).
;; (A fragment of the gloss kernel module, see memory.wat.)
;;
;; For segment (sample) j of `length` elements of the anchor a, positive p and negative q:
;;   distance = Σ (p − q) · (p + q − 2a)   (float32 terms, summed in float64; the factored
;;   difference of squares, see triplet.wat)
;;   ℓ = max(distance + margin, 0), NaN kept            → sums[j]
;;   gradient[i] = scales[j] · 2 · (q − p)[i] where ℓ > 0 (NaN where ℓ is NaN), else 0
;; The row is read twice while it is in cache: once for the distance, once for the gradient.
;; Whole vectors first, then one element at a time in lane 0 (zero lanes add nothing).

  ;; Each gap is vouched for as in triplet.ts (tripletGap): beside the distance, the kernel sums
;; |d| · (|s| + |t|) in float32 lanes (d = p − q, t = p + q, s = t − 2a), the scale of each float32
;; term's rounding error (3u of it at most, u = 2^−24, and u more where two terms are added in float32;
;; with the float64 sum's 2^−53 per term, under 2^−21 for rows of at most 16384 elements). A gap not above 2^−21 times that sum (plus 2^−130
;; for terms that underflow) becomes NaN, which sends its sample to the float64 kernel, as an
;; overflow does.

  ;; The error scale |d| · (|s| + |t|) of a term d · s (d = p − q, t = p + q, s = t − 2a), taken
  ;; as |d · s| + |d · t|: one multiply and two absolute values more than the term itself.
  ;; @inline
  (func $addErrorScale4 (param $size v128) (param $term v128) (param $difference v128) (param $total v128) (result v128)
    (f32x4.add
      (local.get $size)
      (f32x4.add (f32x4.abs (local.get $term)) (f32x4.abs (f32x4.mul (local.get $difference) (local.get $total)))))
  )

  (func (export "tripletSegmentsNarrow")
    (param $a i32) (param $p i32) (param $q i32) (param $length i32) (param $segments i32)
    (param $scales i32) (param $margin f64) (param $gradient i32) (param $sums i32)
    (local $sumsEnd i32) (local $row i32) (local $vectorBytes i32) (local $rowBytes i32) (local $k i32)
    (local $term1 v128) (local $term2 v128) (local $s0 v128) (local $s1 v128) (local $size v128)
    (local $anchor v128) (local $positive v128) (local $negative v128) (local $difference v128) (local $total v128)
    (local $gap f64) (local $factor v128)
    (local.set $sumsEnd (i32.add (local.get $sums) (i32.shl (local.get $segments) (i32.const 3))))
    (local.set $rowBytes (i32.shl (local.get $length) (i32.const 2)))
    (local.set $vectorBytes (i32.shl (i32.and (local.get $length) (i32.const -4)) (i32.const 2)))
    (block $allDone
      (loop $segment
        (br_if $allDone (i32.ge_u (local.get $sums) (local.get $sumsEnd)))
        ;; Pass 1: the distance.
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $size (v128.const i64x2 0 0))
        (local.set $k (i32.const 0))
        ;; Two vectors a step: their terms are added in float32 (an error of u · (|t₁| + |t₂|), inside
        ;; the bound) before the float64 sums, which halves the conversions.
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.gt_u (i32.add (local.get $k) (i32.const 32)) (local.get $vectorBytes)))
            (local.set $anchor (v128.load (i32.add (local.get $a) (local.get $k))))
            (local.set $positive (v128.load (i32.add (local.get $p) (local.get $k))))
            (local.set $negative (v128.load (i32.add (local.get $q) (local.get $k))))
            (local.set $difference (f32x4.sub (local.get $positive) (local.get $negative)))
            (local.set $total (f32x4.add (local.get $positive) (local.get $negative)))
            (local.set $term1
              (f32x4.mul
                (local.get $difference)
                (f32x4.sub (local.get $total) (f32x4.add (local.get $anchor) (local.get $anchor)))))
            (local.set $size
              (call $addErrorScale4 (local.get $size) (local.get $term1) (local.get $difference) (local.get $total)))
            (local.set $anchor (v128.load offset=16 (i32.add (local.get $a) (local.get $k))))
            (local.set $positive (v128.load offset=16 (i32.add (local.get $p) (local.get $k))))
            (local.set $negative (v128.load offset=16 (i32.add (local.get $q) (local.get $k))))
            (local.set $difference (f32x4.sub (local.get $positive) (local.get $negative)))
            (local.set $total (f32x4.add (local.get $positive) (local.get $negative)))
            (local.set $term2
              (f32x4.mul
                (local.get $difference)
                (f32x4.sub (local.get $total) (f32x4.add (local.get $anchor) (local.get $anchor)))))
            (local.set $size
              (call $addErrorScale4 (local.get $size) (local.get $term2) (local.get $difference) (local.get $total)))
            (local.set $term1 (f32x4.add (local.get $term1) (local.get $term2)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $term1))))
            (local.set $s1 (f64x2.add (local.get $s1) (call $promoteHigh (local.get $term1))))
            (local.set $k (i32.add (local.get $k) (i32.const 32)))
            (br $pairs)))
        ;; one vector left
        (if (i32.lt_u (local.get $k) (local.get $vectorBytes))
          (then
            (local.set $anchor (v128.load (i32.add (local.get $a) (local.get $k))))
            (local.set $positive (v128.load (i32.add (local.get $p) (local.get $k))))
            (local.set $negative (v128.load (i32.add (local.get $q) (local.get $k))))
            (local.set $difference (f32x4.sub (local.get $positive) (local.get $negative)))
            (local.set $total (f32x4.add (local.get $positive) (local.get $negative)))
            (local.set $term1
              (f32x4.mul
                (local.get $difference)
                (f32x4.sub (local.get $total) (f32x4.add (local.get $anchor) (local.get $anchor)))))
            (local.set $size
              (call $addErrorScale4 (local.get $size) (local.get $term1) (local.get $difference) (local.get $total)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $term1))))
            (local.set $s1 (f64x2.add (local.get $s1) (call $promoteHigh (local.get $term1))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $k) (local.get $rowBytes)))
            (local.set $anchor (v128.load32_zero (i32.add (local.get $a) (local.get $k))))
            (local.set $positive (v128.load32_zero (i32.add (local.get $p) (local.get $k))))
            (local.set $negative (v128.load32_zero (i32.add (local.get $q) (local.get $k))))
            ;; (p − a)² − (q − a)² factored as (p − q) · (p + q − 2a) (see triplet.wat)
            (local.set $difference (f32x4.sub (local.get $positive) (local.get $negative)))
            (local.set $total (f32x4.add (local.get $positive) (local.get $negative)))
            (local.set $term1
              (f32x4.mul
                (local.get $difference)
                (f32x4.sub (local.get $total) (f32x4.add (local.get $anchor) (local.get $anchor)))))
            (local.set $size
              (call $addErrorScale4 (local.get $size) (local.get $term1) (local.get $difference) (local.get $total)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $term1))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $tail)))
        (local.set $gap
          (f64.add
            (local.get $margin)
            (f64.add
              (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))
              (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))))
        ;; A gap within its error bound of 0 (or one that overflowed, whose bound is infinite)
        ;; becomes NaN: the driver reruns its sample in float64.
        (if (i32.eqz
              (f64.gt
                (f64.abs (local.get $gap))
                (f64.add
                  (f64.mul
                    (f64.promote_f32
                      (f32.add
                        (f32.add (f32x4.extract_lane 0 (local.get $size)) (f32x4.extract_lane 1 (local.get $size)))
                        (f32.add (f32x4.extract_lane 2 (local.get $size)) (f32x4.extract_lane 3 (local.get $size)))))
                    (f64.const 0x1p-21))
                  (f64.const 0x1p-130))))
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
              (f32x4.splat
                (f32.mul
                  (f32.mul (f32.const 2) (f32.load (local.get $scales)))
                  (select (f32.const nan) (f32.const 1) (f64.ne (local.get $gap) (local.get $gap))))))
            (local.set $k (i32.const 0))
            (block $gradientVectorsDone
              (loop $gradientVectors
                (br_if $gradientVectorsDone (i32.ge_u (local.get $k) (local.get $vectorBytes)))
                (v128.store (i32.add (local.get $gradient) (local.get $k))
                  (f32x4.mul
                    (local.get $factor)
                    (f32x4.sub
                      (v128.load (i32.add (local.get $q) (local.get $k)))
                      (v128.load (i32.add (local.get $p) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $gradientVectors)))
            (block $gradientTailDone
              (loop $gradientTail
                (br_if $gradientTailDone (i32.ge_u (local.get $k) (local.get $rowBytes)))
                (f32.store (i32.add (local.get $gradient) (local.get $k))
                  (f32.mul
                    (f32x4.extract_lane 0 (local.get $factor))
                    (f32.sub
                      (f32.load (i32.add (local.get $q) (local.get $k)))
                      (f32.load (i32.add (local.get $p) (local.get $k))))))
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
