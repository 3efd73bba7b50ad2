;; Float32 matrix product C = A · B, cache-blocked, 4 × 8 outputs per register tile.
;; (A fragment of the gloss kernel module, see memory.wat.)
;;
;; The product works on packed copies (made by `packRowPanels` and `packRows` below), so any
;; transposition of the operands costs one strided copy, O(rows · inner), not a slower product:
;;   A: rows padded to a multiple of 4 with zero rows and stored in panels of 4 rows, the 4 values
;;      of one column of a panel side by side: A(i, k) at ((i >> 2) · inner + k) · 4 + (i & 3);
;;   B: inner × paddedColumns, row-major, columns padded to a multiple of 8 with zeros;
;;   C: paddedRows × paddedColumns, row-major.
;; Blocks of 256 columns × 256 inner indices keep B's block (256 KiB) in L2 while the panels of A
;; stream through; within a tile, each step over k loads 2 vectors of B, splats 4 values of A
;; and does 8 multiply-adds (wasm SIMD has no fused multiply-add, so the sums round like a plain
;; float32 loop's).

  (func (export "matmul")
    (param $a i32) (param $b i32) (param $c i32)
    (param $rows i32) (param $columns i32) (param $inner i32)
    (local $columnStart i32) (local $columnEnd i32) (local $innerStart i32) (local $innerEnd i32)
    (local $i i32) (local $j i32) (local $k i32) (local $aPointer i32) (local $bPointer i32) (local $cPointer i32)
    (local $bStride i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $splat v128)
    (local.set $bStride (i32.shl (local.get $columns) (i32.const 2)))
    (local.set $columnStart (i32.const 0))
    (block $columnsDone
      (loop $columnBlock
        (br_if $columnsDone (i32.ge_u (local.get $columnStart) (local.get $columns)))
        (local.set $columnEnd (i32.add (local.get $columnStart) (i32.const 256)))
        (if (i32.gt_u (local.get $columnEnd) (local.get $columns)) (then (local.set $columnEnd (local.get $columns))))
        (local.set $innerStart (i32.const 0))
        (block $innerDone
          (loop $innerBlock
            (br_if $innerDone (i32.ge_u (local.get $innerStart) (local.get $inner)))
            (local.set $innerEnd (i32.add (local.get $innerStart) (i32.const 256)))
            (if (i32.gt_u (local.get $innerEnd) (local.get $inner)) (then (local.set $innerEnd (local.get $inner))))
            (local.set $i (i32.const 0))
            (block $rowsDone
              (loop $rowPanel
                (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
                (local.set $j (local.get $columnStart))
                (block $tilesDone
                  (loop $tile
                    (br_if $tilesDone (i32.ge_u (local.get $j) (local.get $columnEnd)))
                    (local.set $cPointer
                      (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $columns)) (local.get $j)) (i32.const 2))))
                    (if (i32.eqz (local.get $innerStart))
                      (then
                        (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
                        (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
                        (local.set $c20 (v128.const i64x2 0 0)) (local.set $c21 (v128.const i64x2 0 0))
                        (local.set $c30 (v128.const i64x2 0 0)) (local.set $c31 (v128.const i64x2 0 0)))
                      (else
                        (local.set $c00 (v128.load (local.get $cPointer)))
                        (local.set $c01 (v128.load offset=16 (local.get $cPointer)))
                        (local.set $cPointer (i32.add (local.get $cPointer) (local.get $bStride)))
                        (local.set $c10 (v128.load (local.get $cPointer)))
                        (local.set $c11 (v128.load offset=16 (local.get $cPointer)))
                        (local.set $cPointer (i32.add (local.get $cPointer) (local.get $bStride)))
                        (local.set $c20 (v128.load (local.get $cPointer)))
                        (local.set $c21 (v128.load offset=16 (local.get $cPointer)))
                        (local.set $cPointer (i32.add (local.get $cPointer) (local.get $bStride)))
                        (local.set $c30 (v128.load (local.get $cPointer)))
                        (local.set $c31 (v128.load offset=16 (local.get $cPointer)))
                        (local.set $cPointer (i32.sub (local.get $cPointer) (i32.mul (local.get $bStride) (i32.const 3))))))
                    (local.set $aPointer
                      (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $inner)) (i32.shl (local.get $innerStart) (i32.const 2))) (i32.const 2))))
                    (local.set $bPointer
                      (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $innerStart) (local.get $columns)) (local.get $j)) (i32.const 2))))
                    (local.set $k (local.get $innerStart))
                    (block $stepsDone
                      (loop $step
                        (br_if $stepsDone (i32.ge_u (local.get $k) (local.get $innerEnd)))
                        (local.set $b0 (v128.load (local.get $bPointer)))
                        (local.set $b1 (v128.load offset=16 (local.get $bPointer)))
                        (local.set $splat (v128.load32_splat (local.get $aPointer)))
                        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $splat) (local.get $b0))))
                        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $splat) (local.get $b1))))
                        (local.set $splat (v128.load32_splat offset=4 (local.get $aPointer)))
                        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $splat) (local.get $b0))))
                        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $splat) (local.get $b1))))
                        (local.set $splat (v128.load32_splat offset=8 (local.get $aPointer)))
                        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $splat) (local.get $b0))))
                        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $splat) (local.get $b1))))
                        (local.set $splat (v128.load32_splat offset=12 (local.get $aPointer)))
                        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $splat) (local.get $b0))))
                        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $splat) (local.get $b1))))
                        (local.set $aPointer (i32.add (local.get $aPointer) (i32.const 16)))
                        (local.set $bPointer (i32.add (local.get $bPointer) (local.get $bStride)))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $step)))
                    (v128.store (local.get $cPointer) (local.get $c00))
                    (v128.store offset=16 (local.get $cPointer) (local.get $c01))
                    (local.set $cPointer (i32.add (local.get $cPointer) (local.get $bStride)))
                    (v128.store (local.get $cPointer) (local.get $c10))
                    (v128.store offset=16 (local.get $cPointer) (local.get $c11))
                    (local.set $cPointer (i32.add (local.get $cPointer) (local.get $bStride)))
                    (v128.store (local.get $cPointer) (local.get $c20))
                    (v128.store offset=16 (local.get $cPointer) (local.get $c21))
                    (local.set $cPointer (i32.add (local.get $cPointer) (local.get $bStride)))
                    (v128.store (local.get $cPointer) (local.get $c30))
                    (v128.store offset=16 (local.get $cPointer) (local.get $c31))
                    (local.set $j (i32.add (local.get $j) (i32.const 8)))
                    (br $tile)))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $rowPanel)))
            (local.set $innerStart (local.get $innerEnd))
            (br $innerBlock)))
        (local.set $columnStart (local.get $columnEnd))
        (br $columnBlock)))
  )

  ;; dst ← the panel layout of the rows × inner matrix M(i, k) = src[i·rowStride + k·columnStride]
  ;; (strides in elements), with zero rows up to a multiple of 4.
  (func (export "packRowPanels")
    (param $src i32) (param $rowStride i32) (param $columnStride i32) (param $rows i32) (param $inner i32) (param $dst i32)
    (local $i i32) (local $k i32) (local $paddedRows i32) (local $from i32) (local $to i32)
    (local.set $paddedRows (i32.and (i32.add (local.get $rows) (i32.const 3)) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $paddedRows)))
        (local.set $from (i32.add (local.get $src) (i32.shl (i32.mul (local.get $i) (local.get $rowStride)) (i32.const 2))))
        ;; panel (i >> 2), column 0, lane (i & 3)
        (local.set $to
          (i32.add
            (local.get $dst)
            (i32.shl
              (i32.add (i32.mul (i32.shr_u (local.get $i) (i32.const 2)) (i32.shl (local.get $inner) (i32.const 2))) (i32.and (local.get $i) (i32.const 3)))
              (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $columnsDone
          (loop $column
            (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $inner)))
            (f32.store
              (local.get $to)
              (if (result f32) (i32.lt_u (local.get $i) (local.get $rows))
                (then (f32.load (local.get $from)))
                (else (f32.const 0))))
            (local.set $from (i32.add (local.get $from) (i32.shl (local.get $columnStride) (i32.const 2))))
            (local.set $to (i32.add (local.get $to) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $column)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))
  )

  ;; dst (rows × paddedColumns, row-major) ← M(i, j) = src[i·rowStride + j·columnStride], with
  ;; zero columns from `columns` to `paddedColumns`. Also unpacks C (rowStride = its padded width).
  (func (export "packRows")
    (param $src i32) (param $rowStride i32) (param $columnStride i32) (param $rows i32) (param $columns i32)
    (param $dst i32) (param $paddedColumns i32)
    (local $i i32) (local $j i32) (local $from i32)
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $from (i32.add (local.get $src) (i32.shl (i32.mul (local.get $i) (local.get $rowStride)) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $columnsDone
          (loop $column
            (br_if $columnsDone (i32.ge_u (local.get $j) (local.get $paddedColumns)))
            (f32.store
              (local.get $dst)
              (if (result f32) (i32.lt_u (local.get $j) (local.get $columns))
                (then (f32.load (local.get $from)))
                (else (f32.const 0))))
            (local.set $from (i32.add (local.get $from) (i32.shl (local.get $columnStride) (i32.const 2))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $column)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))
  )

  ;; packRowPanels for a row-major src (rowStride = inner, columnStride 1) and `rows` a multiple
  ;; of 4: each panel's 4 × 4 blocks are transposed in registers (8 shuffles) and stored as 4
  ;; vectors, a quarter of the scalar loop's work; the last inner % 4 columns go one by one.
  (func (export "packRowPanelsContiguous")
    (param $src i32) (param $rows i32) (param $inner i32) (param $dst i32)
    (local $i i32) (local $k i32) (local $vectorEnd i32) (local $rowBytes i32)
    (local $r0 i32) (local $to i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $low01 v128) (local $high01 v128) (local $low23 v128) (local $high23 v128)
    (local.set $rowBytes (i32.shl (local.get $inner) (i32.const 2)))
    (local.set $vectorEnd (i32.and (local.get $inner) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $r0 (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $to (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $i) (local.get $inner)) (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $vectorsDone
          (loop $vector
            (br_if $vectorsDone (i32.ge_u (local.get $k) (local.get $vectorEnd)))
            ;; rows i … i+3, columns k … k+3
            (local.set $v0 (v128.load (local.get $r0)))
            (local.set $v1 (v128.load (i32.add (local.get $r0) (local.get $rowBytes))))
            (local.set $v2 (v128.load (i32.add (local.get $r0) (i32.shl (local.get $rowBytes) (i32.const 1)))))
            (local.set $v3 (v128.load (i32.add (local.get $r0) (i32.mul (local.get $rowBytes) (i32.const 3)))))
            ;; [a0 b0 a1 b1], [a2 b2 a3 b3], [c0 d0 c1 d1], [c2 d2 c3 d3]
            (local.set $low01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
            (local.set $high01 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
            (local.set $low23 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
            (local.set $high23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
            ;; column c of the block: [a_c b_c c_c d_c]
            (v128.store (local.get $to)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $low01) (local.get $low23)))
            (v128.store offset=16 (local.get $to)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $low01) (local.get $low23)))
            (v128.store offset=32 (local.get $to)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $high01) (local.get $high23)))
            (v128.store offset=48 (local.get $to)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $high01) (local.get $high23)))
            (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
            (local.set $to (i32.add (local.get $to) (i32.const 64)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $vector)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $k) (local.get $inner)))
            (f32.store (local.get $to) (f32.load (local.get $r0)))
            (f32.store offset=4 (local.get $to) (f32.load (i32.add (local.get $r0) (local.get $rowBytes))))
            (f32.store offset=8 (local.get $to)
              (f32.load (i32.add (local.get $r0) (i32.shl (local.get $rowBytes) (i32.const 1)))))
            (f32.store offset=12 (local.get $to)
              (f32.load (i32.add (local.get $r0) (i32.mul (local.get $rowBytes) (i32.const 3)))))
            (local.set $r0 (i32.add (local.get $r0) (i32.const 4)))
            (local.set $to (i32.add (local.get $to) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $tail)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $panel)))
  )
