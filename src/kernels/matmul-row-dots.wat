;; The float32 product of rows of A against rows of B (a fragment of the gloss kernel module, see
;; memory.wat; src/kernels/matmul-row-dots.ts drives it).

  ;; C[i, j] = Σ_k A[i, k] · B[j, k], float32: rows of A against rows of B, both contiguous along k
  ;; (a Dense layer's x · Wᵀ with few units, where 8-column tiles would mostly multiply padding).
  ;; A's rows are aRow bytes apart, B's bRow bytes, C's cRow bytes; rows, columns, inner ≥ 1.
  ;; `bias` ≠ 0: C[i, j] = that sum + bias[j] (float32 adds), bias holding `columns` floats.
  ;; Tiles of 4 rows of A × 2 rows of B: 8 f32x4 accumulators of lane-wise partial sums over k
  ;; (4 floats of k per step, then single floats into lane 0), summed across lanes at the end.
  ;; Not unrolled: V8 hoists an unrolled step's 12 loads ahead of the arithmetic and spills
  ;; accumulators (34 against 42 GFLOP/s at 256 × 784 · 784 × 10). A ragged tile reads its last valid row (or row of B) again in place of the missing
  ;; ones and stores only the valid sums.
  (func (export "matmulRowDots")
    (param $a i32) (param $aRow i32) (param $b i32) (param $bRow i32)
    (param $c i32) (param $cRow i32) (param $rows i32) (param $columns i32) (param $inner i32) (param $bias i32)
    (local $i i32) (local $j i32) (local $last i32) (local $p i32) (local $end4 i32) (local $end i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $b0 i32) (local $b1 i32) (local $cp i32) (local $biasAt i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $w0 v128) (local $w1 v128) (local $x v128)
    (local.set $end (i32.shl (local.get $inner) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
    (local.set $i (i32.const 0))
    (loop $rowGroup
      ;; the 4 rows of A, the last valid one repeated past the end
      (local.set $last (i32.sub (local.get $rows) (i32.const 1)))
      (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
      (local.set $a1 (i32.add (local.get $a) (i32.mul
        (select (i32.add (local.get $i) (i32.const 1)) (local.get $last) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $rows)))
        (local.get $aRow))))
      (local.set $a2 (i32.add (local.get $a) (i32.mul
        (select (i32.add (local.get $i) (i32.const 2)) (local.get $last) (i32.lt_u (i32.add (local.get $i) (i32.const 2)) (local.get $rows)))
        (local.get $aRow))))
      (local.set $a3 (i32.add (local.get $a) (i32.mul
        (select (i32.add (local.get $i) (i32.const 3)) (local.get $last) (i32.lt_u (i32.add (local.get $i) (i32.const 3)) (local.get $rows)))
        (local.get $aRow))))
      (local.set $j (i32.const 0))
      (loop $columnPair
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $bRow))))
        (local.set $b1 (select (i32.add (local.get $b0) (local.get $bRow)) (local.get $b0)
          (i32.lt_u (i32.add (local.get $j) (i32.const 1)) (local.get $columns))))
        (local.set $c00 (v128.const i64x2 0 0))
        (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0))
        (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c20 (v128.const i64x2 0 0))
        (local.set $c21 (v128.const i64x2 0 0))
        (local.set $c30 (v128.const i64x2 0 0))
        (local.set $c31 (v128.const i64x2 0 0))
        (local.set $p (i32.const 0))
        (if (local.get $end4)
          (then
            (loop $step4
              (local.set $w0 (v128.load (i32.add (local.get $b0) (local.get $p))))
              (local.set $w1 (v128.load (i32.add (local.get $b1) (local.get $p))))
              (local.set $x (v128.load (i32.add (local.get $a0) (local.get $p))))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $w0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $w1))))
              (local.set $x (v128.load (i32.add (local.get $a1) (local.get $p))))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $w0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $w1))))
              (local.set $x (v128.load (i32.add (local.get $a2) (local.get $p))))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $w0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $w1))))
              (local.set $x (v128.load (i32.add (local.get $a3) (local.get $p))))
              (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $w0))))
              (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $w1))))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (br_if $step4 (i32.lt_u (local.get $p) (local.get $end4))))))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $w0 (v128.load32_zero (i32.add (local.get $b0) (local.get $p))))
            (local.set $w1 (v128.load32_zero (i32.add (local.get $b1) (local.get $p))))
            (local.set $x (v128.load32_zero (i32.add (local.get $a0) (local.get $p))))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $w0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $w1))))
            (local.set $x (v128.load32_zero (i32.add (local.get $a1) (local.get $p))))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $w0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $w1))))
            (local.set $x (v128.load32_zero (i32.add (local.get $a2) (local.get $p))))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $w0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $w1))))
            (local.set $x (v128.load32_zero (i32.add (local.get $a3) (local.get $p))))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $w0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $w1))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $tail)))
        ;; lane sums: (l0 + l2) + (l1 + l3) of each accumulator; row r of the tile at cp + r·cRow
        (local.set $cp (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $cRow)) (i32.shl (local.get $j) (i32.const 2)))))
        ;; bias[j], bias[j + 1] added to the sums when there is a bias (pointer ≠ 0)
        (local.set $biasAt (select (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))) (i32.const 0) (local.get $bias)))
        (call $storeRowDots (local.get $cp) (local.get $c00) (local.get $c01) (i32.sub (local.get $columns) (local.get $j)) (local.get $biasAt))
        (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $rows))
          (then (call $storeRowDots (i32.add (local.get $cp) (local.get $cRow)) (local.get $c10) (local.get $c11) (i32.sub (local.get $columns) (local.get $j)) (local.get $biasAt))))
        (if (i32.lt_u (i32.add (local.get $i) (i32.const 2)) (local.get $rows))
          (then (call $storeRowDots (i32.add (local.get $cp) (i32.shl (local.get $cRow) (i32.const 1))) (local.get $c20) (local.get $c21) (i32.sub (local.get $columns) (local.get $j)) (local.get $biasAt))))
        (if (i32.lt_u (i32.add (local.get $i) (i32.const 3)) (local.get $rows))
          (then (call $storeRowDots (i32.add (local.get $cp) (i32.mul (local.get $cRow) (i32.const 3))) (local.get $c30) (local.get $c31) (i32.sub (local.get $columns) (local.get $j)) (local.get $biasAt))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br_if $columnPair (i32.lt_u (local.get $j) (local.get $columns))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $rowGroup (i32.lt_u (local.get $i) (local.get $rows))))
  )

  ;; The lane sums of two accumulators into C[0] and (when validColumns > 1) C[1].
  ;; Then bias[0] and (when validColumns > 1) bias[1] at `biasAt` added, unless biasAt = 0.
  (func $storeRowDots (param $cp i32) (param $first v128) (param $second v128) (param $validColumns i32) (param $biasAt i32)
    (local $pairs v128)
    ;; [f0 + f2, f1 + f3, s0 + s2, s1 + s3], then lanes 0 + 1 and 2 + 3
    (local.set $pairs
      (f32x4.add
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $first) (local.get $second))
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $first) (local.get $second))))
    (local.set $pairs
      (f32x4.add
        (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $pairs) (local.get $pairs))
        (i8x16.shuffle 4 5 6 7 12 13 14 15 4 5 6 7 12 13 14 15 (local.get $pairs) (local.get $pairs))))
    (if (local.get $biasAt)
      (then
        (local.set $pairs
          (f32x4.add (local.get $pairs)
            (if (result v128) (i32.gt_u (local.get $validColumns) (i32.const 1))
              (then (v128.load64_zero (local.get $biasAt)))
              (else (v128.load32_zero (local.get $biasAt))))))))
    (if (i32.gt_u (local.get $validColumns) (i32.const 1))
      (then (v128.store64_lane 0 (local.get $cp) (local.get $pairs)))
      (else (f32.store (local.get $cp) (f32x4.extract_lane 0 (local.get $pairs)))))
  )
