;; Matrix products C = A · B on packed operands, float32 and float64, with register tiles whose
;; accumulators stay in registers over the whole inner dimension (a fragment of the gloss kernel
;; module, see memory.wat; src/kernels/matmul.ts drives it).
;;
;; Packed layouts (made by the pack functions below, each operand once per product):
;;   A in panels of 4 rows, a panel's 4 values of one column side by side:
;;     A(i, k) at ((i >> 2) · inner + k) · 4 + (i & 3)   (elements; rows padded with zeros);
;;   B in panels of NR columns (8 for float32, 4 for float64), a panel's NR values of one row side
;;   by side: B(k, j) at ((j / NR) · inner + k) · NR + j % NR   (columns padded with zeros).
;; A tile of 4 rows × NR columns then reads both panels front to back, one contiguous stream each.
;;
;; float32: 4 × 8 tile, 8 f32x4 accumulators; each step over k loads 2 vectors of B, splats 4
;; values of A and does 8 multiplies and 8 adds (wasm SIMD has no fused multiply-add without
;; relaxed-simd, so the sums round like a plain float32 loop's). Wider tiles (5 × 8, 6 × 8, 12 × 4,
;; 8 × 4) measured no faster in V8: x64 wasm code has 15 usable xmm registers, and 4 × 8 already
;; keeps the multiply and add units busy; V8 unrolls the step loop itself.
;; float64: 4 × 4 tile, 8 f64x2 accumulators, the same shape.
;; The caller passes A a block of rows at a time (a block of packed A stays in L2 while the
;; panels of B go by, each read from L1 for every row panel of the block).

  ;; C (row stride cStride bytes) = packed A (rows) · packed B (columns), float32. `edge` is 4 · 8
  ;; floats of scratch for the tiles that overhang the last row or column. rows, columns, inner ≥ 1.
  (func (export "matmulPanels")
    (param $a i32) (param $b i32) (param $c i32) (param $cStride i32)
    (param $rows i32) (param $columns i32) (param $inner i32) (param $edge i32)
    (local $i i32) (local $j i32) (local $aPanel i32) (local $bPanel i32) (local $aPanelBytes i32) (local $bPanelBytes i32)
    (local $ap i32) (local $bp i32) (local $bEnd i32) (local $cp i32) (local $full i32)
    (local $validRows i32) (local $validColumns i32) (local $r i32) (local $q i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $aPanelBytes (i32.mul (local.get $inner) (i32.const 16)))
    (local.set $bPanelBytes (i32.mul (local.get $inner) (i32.const 32)))
    (local.set $j (i32.const 0))
    (local.set $bPanel (local.get $b))
    (loop $columnPanel
      (local.set $i (i32.const 0))
      (local.set $aPanel (local.get $a))
      (loop $rowPanel
        ;; the 4 × 8 tile at (i, j): 8 accumulators over the whole inner dimension
        (local.set $c00 (v128.const i64x2 0 0))
        (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0))
        (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c20 (v128.const i64x2 0 0))
        (local.set $c21 (v128.const i64x2 0 0))
        (local.set $c30 (v128.const i64x2 0 0))
        (local.set $c31 (v128.const i64x2 0 0))
        (local.set $ap (local.get $aPanel))
        (local.set $bp (local.get $bPanel))
        (local.set $bEnd (i32.add (local.get $bPanel) (local.get $bPanelBytes)))
        (loop $step
          (local.set $b0 (v128.load offset=0 (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $s (v128.load32_splat offset=0 (local.get $ap)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat offset=4 (local.get $ap)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat offset=8 (local.get $ap)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat offset=12 (local.get $ap)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
          (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
          (br_if $step (i32.ne (local.get $bp) (local.get $bEnd))))
        ;; a whole tile goes straight into C; a ragged one (past the last row or column) into
        ;; the edge buffer, whose valid part is then copied
        (local.set $validRows (i32.sub (local.get $rows) (local.get $i)))
        (local.set $validColumns (i32.sub (local.get $columns) (local.get $j)))
        (local.set $full (i32.and (i32.ge_u (local.get $validRows) (i32.const 4)) (i32.ge_u (local.get $validColumns) (i32.const 8))))
        (local.set $cp
          (select
            (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $cStride)) (i32.shl (local.get $j) (i32.const 2))))
            (local.get $edge)
            (local.get $full)))
        (v128.store offset=0 (local.get $cp) (local.get $c00))
        (v128.store offset=16 (local.get $cp) (local.get $c01))
        (local.set $cp (i32.add (local.get $cp) (select (local.get $cStride) (i32.const 32) (local.get $full))))
        (v128.store offset=0 (local.get $cp) (local.get $c10))
        (v128.store offset=16 (local.get $cp) (local.get $c11))
        (local.set $cp (i32.add (local.get $cp) (select (local.get $cStride) (i32.const 32) (local.get $full))))
        (v128.store offset=0 (local.get $cp) (local.get $c20))
        (v128.store offset=16 (local.get $cp) (local.get $c21))
        (local.set $cp (i32.add (local.get $cp) (select (local.get $cStride) (i32.const 32) (local.get $full))))
        (v128.store offset=0 (local.get $cp) (local.get $c30))
        (v128.store offset=16 (local.get $cp) (local.get $c31))
        (if (i32.eqz (local.get $full))
          (then
            (if (i32.gt_u (local.get $validRows) (i32.const 4)) (then (local.set $validRows (i32.const 4))))
            (if (i32.gt_u (local.get $validColumns) (i32.const 8)) (then (local.set $validColumns (i32.const 8))))
            (local.set $r (i32.const 0))
            (loop $edgeRow
              (local.set $cp
                (i32.add (local.get $c) (i32.add (i32.mul (i32.add (local.get $i) (local.get $r)) (local.get $cStride)) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $q (i32.const 0))
              (loop $edgeColumn
                (f32.store (i32.add (local.get $cp) (i32.shl (local.get $q) (i32.const 2)))
                  (f32.load (i32.add (local.get $edge) (i32.shl (i32.add (i32.mul (local.get $r) (i32.const 8)) (local.get $q)) (i32.const 2)))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $edgeColumn (i32.lt_u (local.get $q) (local.get $validColumns))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $edgeRow (i32.lt_u (local.get $r) (local.get $validRows))))))
        (local.set $aPanel (i32.add (local.get $aPanel) (local.get $aPanelBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $rowPanel (i32.lt_u (local.get $i) (local.get $rows))))
      (local.set $bPanel (i32.add (local.get $bPanel) (local.get $bPanelBytes)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br_if $columnPanel (i32.lt_u (local.get $j) (local.get $columns))))
  )

  ;; The float64 product: packed A in panels of 4 rows, B in panels of 4 columns, a 4 × 4 tile of
  ;; f64x2 accumulators; `edge` holds 4 · 4 doubles.
  (func (export "matmulPanelsF64")
    (param $a i32) (param $b i32) (param $c i32) (param $cStride i32)
    (param $rows i32) (param $columns i32) (param $inner i32) (param $edge i32)
    (local $i i32) (local $j i32) (local $aPanel i32) (local $bPanel i32) (local $aPanelBytes i32) (local $bPanelBytes i32)
    (local $ap i32) (local $bp i32) (local $bEnd i32) (local $cp i32) (local $full i32)
    (local $validRows i32) (local $validColumns i32) (local $r i32) (local $q i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $aPanelBytes (i32.mul (local.get $inner) (i32.const 32)))
    (local.set $bPanelBytes (i32.mul (local.get $inner) (i32.const 32)))
    (local.set $j (i32.const 0))
    (local.set $bPanel (local.get $b))
    (loop $columnPanel
      (local.set $i (i32.const 0))
      (local.set $aPanel (local.get $a))
      (loop $rowPanel
        ;; the 4 × 4 tile at (i, j): 8 accumulators over the whole inner dimension
        (local.set $c00 (v128.const i64x2 0 0))
        (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0))
        (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c20 (v128.const i64x2 0 0))
        (local.set $c21 (v128.const i64x2 0 0))
        (local.set $c30 (v128.const i64x2 0 0))
        (local.set $c31 (v128.const i64x2 0 0))
        (local.set $ap (local.get $aPanel))
        (local.set $bp (local.get $bPanel))
        (local.set $bEnd (i32.add (local.get $bPanel) (local.get $bPanelBytes)))
        (loop $step
          (local.set $b0 (v128.load offset=0 (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $s (v128.load64_splat offset=0 (local.get $ap)))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $s) (local.get $b0))))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load64_splat offset=8 (local.get $ap)))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $s) (local.get $b0))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load64_splat offset=16 (local.get $ap)))
          (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $s) (local.get $b0))))
          (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load64_splat offset=24 (local.get $ap)))
          (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $s) (local.get $b0))))
          (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $s) (local.get $b1))))
          (local.set $ap (i32.add (local.get $ap) (i32.const 32)))
          (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
          (br_if $step (i32.ne (local.get $bp) (local.get $bEnd))))
        ;; a whole tile goes straight into C; a ragged one (past the last row or column) into
        ;; the edge buffer, whose valid part is then copied
        (local.set $validRows (i32.sub (local.get $rows) (local.get $i)))
        (local.set $validColumns (i32.sub (local.get $columns) (local.get $j)))
        (local.set $full (i32.and (i32.ge_u (local.get $validRows) (i32.const 4)) (i32.ge_u (local.get $validColumns) (i32.const 4))))
        (local.set $cp
          (select
            (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $cStride)) (i32.shl (local.get $j) (i32.const 3))))
            (local.get $edge)
            (local.get $full)))
        (v128.store offset=0 (local.get $cp) (local.get $c00))
        (v128.store offset=16 (local.get $cp) (local.get $c01))
        (local.set $cp (i32.add (local.get $cp) (select (local.get $cStride) (i32.const 32) (local.get $full))))
        (v128.store offset=0 (local.get $cp) (local.get $c10))
        (v128.store offset=16 (local.get $cp) (local.get $c11))
        (local.set $cp (i32.add (local.get $cp) (select (local.get $cStride) (i32.const 32) (local.get $full))))
        (v128.store offset=0 (local.get $cp) (local.get $c20))
        (v128.store offset=16 (local.get $cp) (local.get $c21))
        (local.set $cp (i32.add (local.get $cp) (select (local.get $cStride) (i32.const 32) (local.get $full))))
        (v128.store offset=0 (local.get $cp) (local.get $c30))
        (v128.store offset=16 (local.get $cp) (local.get $c31))
        (if (i32.eqz (local.get $full))
          (then
            (if (i32.gt_u (local.get $validRows) (i32.const 4)) (then (local.set $validRows (i32.const 4))))
            (if (i32.gt_u (local.get $validColumns) (i32.const 4)) (then (local.set $validColumns (i32.const 4))))
            (local.set $r (i32.const 0))
            (loop $edgeRow
              (local.set $cp
                (i32.add (local.get $c) (i32.add (i32.mul (i32.add (local.get $i) (local.get $r)) (local.get $cStride)) (i32.shl (local.get $j) (i32.const 3)))))
              (local.set $q (i32.const 0))
              (loop $edgeColumn
                (f64.store (i32.add (local.get $cp) (i32.shl (local.get $q) (i32.const 3)))
                  (f64.load (i32.add (local.get $edge) (i32.shl (i32.add (i32.mul (local.get $r) (i32.const 4)) (local.get $q)) (i32.const 3)))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $edgeColumn (i32.lt_u (local.get $q) (local.get $validColumns))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $edgeRow (i32.lt_u (local.get $r) (local.get $validRows))))))
        (local.set $aPanel (i32.add (local.get $aPanel) (local.get $aPanelBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $rowPanel (i32.lt_u (local.get $i) (local.get $rows))))
      (local.set $bPanel (i32.add (local.get $bPanel) (local.get $bPanelBytes)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br_if $columnPanel (i32.lt_u (local.get $j) (local.get $columns))))
  )

  ;; dst ← M(x, k) = src[x·laneStride + k·innerStride] (strides in elements) in panels of 4
  ;; lanes: M(x, k) at dst + ((x >> 2) · inner + k) · 4 + (x & 3) elements; lanes from
  ;; `count` up to a multiple of 4 are zeros. Any layout, one element at a time.
  (func (export "packPanels4")
    (param $src i32) (param $laneStride i32) (param $innerStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $x i32) (local $k i32) (local $padded i32) (local $from i32) (local $to i32) (local $step i32)
    (local.set $padded (i32.and (i32.add (local.get $count) (i32.const 3)) (i32.const -4)))
    (local.set $step (i32.shl (local.get $innerStride) (i32.const 2)))
    (local.set $x (i32.const 0))
    (block $lanesDone
      (loop $lane
        (br_if $lanesDone (i32.ge_u (local.get $x) (local.get $padded)))
        (local.set $from (i32.add (local.get $src) (i32.shl (i32.mul (local.get $x) (local.get $laneStride)) (i32.const 2))))
        (local.set $to
          (i32.add
            (local.get $dst)
            (i32.shl
              (i32.add
                (i32.mul (i32.shr_u (local.get $x) (i32.const 2)) (i32.shl (local.get $inner) (i32.const 2)))
                (i32.and (local.get $x) (i32.const 3)))
              (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $innerDone
          (loop $step
            (br_if $innerDone (i32.ge_u (local.get $k) (local.get $inner)))
            (f32.store
              (local.get $to)
              (if (result f32) (i32.lt_u (local.get $x) (local.get $count))
                (then (f32.load (local.get $from)))
                (else (f32.const 0))))
            (local.set $from (i32.add (local.get $from) (local.get $step)))
            (local.set $to (i32.add (local.get $to) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $step)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $lane)))
  )

  ;; dst ← M(x, k) = src[x·laneStride + k·innerStride] (strides in elements) in panels of 8
  ;; lanes: M(x, k) at dst + ((x >> 3) · inner + k) · 8 + (x & 7) elements; lanes from
  ;; `count` up to a multiple of 8 are zeros. Any layout, one element at a time.
  (func (export "packPanels8")
    (param $src i32) (param $laneStride i32) (param $innerStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $x i32) (local $k i32) (local $padded i32) (local $from i32) (local $to i32) (local $step i32)
    (local.set $padded (i32.and (i32.add (local.get $count) (i32.const 7)) (i32.const -8)))
    (local.set $step (i32.shl (local.get $innerStride) (i32.const 2)))
    (local.set $x (i32.const 0))
    (block $lanesDone
      (loop $lane
        (br_if $lanesDone (i32.ge_u (local.get $x) (local.get $padded)))
        (local.set $from (i32.add (local.get $src) (i32.shl (i32.mul (local.get $x) (local.get $laneStride)) (i32.const 2))))
        (local.set $to
          (i32.add
            (local.get $dst)
            (i32.shl
              (i32.add
                (i32.mul (i32.shr_u (local.get $x) (i32.const 3)) (i32.shl (local.get $inner) (i32.const 3)))
                (i32.and (local.get $x) (i32.const 7)))
              (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $innerDone
          (loop $step
            (br_if $innerDone (i32.ge_u (local.get $k) (local.get $inner)))
            (f32.store
              (local.get $to)
              (if (result f32) (i32.lt_u (local.get $x) (local.get $count))
                (then (f32.load (local.get $from)))
                (else (f32.const 0))))
            (local.set $from (i32.add (local.get $from) (local.get $step)))
            (local.set $to (i32.add (local.get $to) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $step)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $lane)))
  )

  ;; dst ← M(x, k) = src[x·laneStride + k·innerStride] (strides in elements) in panels of 4
  ;; lanes: M(x, k) at dst + ((x >> 2) · inner + k) · 4 + (x & 3) elements; lanes from
  ;; `count` up to a multiple of 4 are zeros. Any layout, one element at a time.
  (func (export "packPanels4F64")
    (param $src i32) (param $laneStride i32) (param $innerStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $x i32) (local $k i32) (local $padded i32) (local $from i32) (local $to i32) (local $step i32)
    (local.set $padded (i32.and (i32.add (local.get $count) (i32.const 3)) (i32.const -4)))
    (local.set $step (i32.shl (local.get $innerStride) (i32.const 3)))
    (local.set $x (i32.const 0))
    (block $lanesDone
      (loop $lane
        (br_if $lanesDone (i32.ge_u (local.get $x) (local.get $padded)))
        (local.set $from (i32.add (local.get $src) (i32.shl (i32.mul (local.get $x) (local.get $laneStride)) (i32.const 3))))
        (local.set $to
          (i32.add
            (local.get $dst)
            (i32.shl
              (i32.add
                (i32.mul (i32.shr_u (local.get $x) (i32.const 2)) (i32.shl (local.get $inner) (i32.const 2)))
                (i32.and (local.get $x) (i32.const 3)))
              (i32.const 3))))
        (local.set $k (i32.const 0))
        (block $innerDone
          (loop $step
            (br_if $innerDone (i32.ge_u (local.get $k) (local.get $inner)))
            (f64.store
              (local.get $to)
              (if (result f64) (i32.lt_u (local.get $x) (local.get $count))
                (then (f64.load (local.get $from)))
                (else (f64.const 0))))
            (local.set $from (i32.add (local.get $from) (local.get $step)))
            (local.set $to (i32.add (local.get $to) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $step)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $lane)))
  )

  ;; The same layout when M(x, k) = src[x + k·innerStride] (a panel's lanes side by side) and
  ;; `count` is a multiple of 4: each panel step is 1 vector copy.
  (func (export "packPanelsContiguous4")
    (param $src i32) (param $innerStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $x i32) (local $k i32) (local $from i32) (local $to i32) (local $step i32)
    (local.set $step (i32.shl (local.get $innerStride) (i32.const 2)))
    (local.set $to (local.get $dst))
    (local.set $x (i32.const 0))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $x) (local.get $count)))
        (local.set $from (i32.add (local.get $src) (i32.shl (local.get $x) (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $innerDone
          (loop $step
            (br_if $innerDone (i32.ge_u (local.get $k) (local.get $inner)))
            (v128.store offset=0 (local.get $to) (v128.load offset=0 (local.get $from)))
            (local.set $from (i32.add (local.get $from) (local.get $step)))
            (local.set $to (i32.add (local.get $to) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $step)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $panel)))
  )

  ;; The same layout when M(x, k) = src[x + k·innerStride] (a panel's lanes side by side) and
  ;; `count` is a multiple of 8: each panel step is 2 vector copies.
  (func (export "packPanelsContiguous8")
    (param $src i32) (param $innerStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $x i32) (local $k i32) (local $from i32) (local $to i32) (local $step i32)
    (local.set $step (i32.shl (local.get $innerStride) (i32.const 2)))
    (local.set $to (local.get $dst))
    (local.set $x (i32.const 0))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $x) (local.get $count)))
        (local.set $from (i32.add (local.get $src) (i32.shl (local.get $x) (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $innerDone
          (loop $step
            (br_if $innerDone (i32.ge_u (local.get $k) (local.get $inner)))
            (v128.store offset=0 (local.get $to) (v128.load offset=0 (local.get $from)))
            (v128.store offset=16 (local.get $to) (v128.load offset=16 (local.get $from)))
            (local.set $from (i32.add (local.get $from) (local.get $step)))
            (local.set $to (i32.add (local.get $to) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $step)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (br $panel)))
  )

  ;; The same layout when M(x, k) = src[x + k·innerStride] (a panel's lanes side by side) and
  ;; `count` is a multiple of 4: each panel step is 2 vector copies.
  (func (export "packPanelsContiguous4F64")
    (param $src i32) (param $innerStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $x i32) (local $k i32) (local $from i32) (local $to i32) (local $step i32)
    (local.set $step (i32.shl (local.get $innerStride) (i32.const 3)))
    (local.set $to (local.get $dst))
    (local.set $x (i32.const 0))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $x) (local.get $count)))
        (local.set $from (i32.add (local.get $src) (i32.shl (local.get $x) (i32.const 3))))
        (local.set $k (i32.const 0))
        (block $innerDone
          (loop $step
            (br_if $innerDone (i32.ge_u (local.get $k) (local.get $inner)))
            (v128.store offset=0 (local.get $to) (v128.load offset=0 (local.get $from)))
            (v128.store offset=16 (local.get $to) (v128.load offset=16 (local.get $from)))
            (local.set $from (i32.add (local.get $from) (local.get $step)))
            (local.set $to (i32.add (local.get $to) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $step)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $panel)))
  )

  ;; packPanels4 for a row-major A (laneStride = inner, innerStride 1) and `rows` a multiple
  ;; of 4: each panel's 4 × 4 blocks are transposed in registers (8 shuffles) and stored as 4
  ;; vectors, a quarter of the scalar loop's work; the last inner % 4 columns go one by one.
  (func (export "packPanels4Rows")
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
