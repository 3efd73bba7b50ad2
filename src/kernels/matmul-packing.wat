;; The packing and conversion kernels of the matrix products (a fragment of the gloss kernel
;; module, see memory.wat; src/kernels/matmul.ts drives them): operands copied into panels the
;; register tiles of matmul.wat read with vector loads, and float32 ↔ float64 conversions of a
;; whole operand or product in place.

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

  ;; The same layout when M(x, k) = src[x·laneStride + k] (a row-major A: a panel's lanes are rows,
  ;; each contiguous over k) and `count` is a multiple of 4: four k at a time by a 4 × 4 transpose of
  ;; vectors (8 shuffles for 16 floats), the last inner % 4 one at a time.
  (func (export "packRowPanels4")
    (param $src i32) (param $laneStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $x i32) (local $k i32) (local $row i32) (local $to i32) (local $rowBytes i32) (local $wholeBytes i32)
    (local $innerBytes i32) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $low01 v128) (local $low23 v128) (local $high01 v128) (local $high23 v128)
    (local.set $rowBytes (i32.shl (local.get $laneStride) (i32.const 2)))
    (local.set $innerBytes (i32.shl (local.get $inner) (i32.const 2)))
    (local.set $wholeBytes (i32.shl (i32.and (local.get $inner) (i32.const -4)) (i32.const 2)))
    (local.set $x (i32.const 0))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $x) (local.get $count)))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $x) (local.get $rowBytes))))
        ;; the panel's k-major block: 16 bytes per k
        (local.set $to (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $x) (local.get $inner)) (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $k) (local.get $wholeBytes)))
            (local.set $r0 (v128.load (i32.add (local.get $row) (local.get $k))))
            (local.set $r1 (v128.load (i32.add (i32.add (local.get $row) (local.get $rowBytes)) (local.get $k))))
            (local.set $r2
              (v128.load (i32.add (i32.add (local.get $row) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $k))))
            (local.set $r3
              (v128.load
                (i32.add (i32.add (local.get $row) (i32.mul (local.get $rowBytes) (i32.const 3))) (local.get $k))))
            ;; interleave rows 0, 1 and rows 2, 3 by lane pairs, then join their halves: out k + j
            ;; holds lane j of the four rows
            (local.set $low01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $low23 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $high01 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $high23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (v128.store offset=0 (local.get $to)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $low01) (local.get $low23)))
            (v128.store offset=16 (local.get $to)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $low01) (local.get $low23)))
            (v128.store offset=32 (local.get $to)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $high01) (local.get $high23)))
            (v128.store offset=48 (local.get $to)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $high01) (local.get $high23)))
            (local.set $to (i32.add (local.get $to) (i32.const 64)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $k) (local.get $innerBytes)))
            (f32.store offset=0 (local.get $to) (f32.load (i32.add (local.get $row) (local.get $k))))
            (f32.store offset=4 (local.get $to)
              (f32.load (i32.add (i32.add (local.get $row) (local.get $rowBytes)) (local.get $k))))
            (f32.store offset=8 (local.get $to)
              (f32.load (i32.add (i32.add (local.get $row) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $k))))
            (f32.store offset=12 (local.get $to)
              (f32.load (i32.add (i32.add (local.get $row) (i32.mul (local.get $rowBytes) (i32.const 3))) (local.get $k))))
            (local.set $to (i32.add (local.get $to) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $tail)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $panel)))
  )

  ;; The same layout when M(x, k) = src[x + k·innerStride] (a panel's lanes side by side) and
  ;; `count` is a multiple of 4: 1 vector copy per panel and k. Row by row (k outer), so src
  ;; is read front to back: a panel-by-panel order would touch a new page at every k.
  (func (export "packPanelsContiguous4")
    (param $src i32) (param $innerStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $x i32) (local $k i32) (local $from i32) (local $to i32) (local $panelBytes i32)
    (local.set $panelBytes (i32.mul (local.get $inner) (i32.const 16)))
    (local.set $k (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $k) (local.get $inner)))
        (local.set $from (i32.add (local.get $src) (i32.shl (i32.mul (local.get $k) (local.get $innerStride)) (i32.const 2))))
        (local.set $to (i32.add (local.get $dst) (i32.mul (local.get $k) (i32.const 16))))
        (local.set $x (i32.const 0))
        (block $panelsDone
          (loop $panel
            (br_if $panelsDone (i32.ge_u (local.get $x) (local.get $count)))
            (v128.store offset=0 (local.get $to) (v128.load offset=0 (local.get $from)))
            (local.set $from (i32.add (local.get $from) (i32.const 16)))
            (local.set $to (i32.add (local.get $to) (local.get $panelBytes)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $panel)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $row)))
  )

  ;; The same layout when M(x, k) = src[x + k·innerStride] (a panel's lanes side by side) and
  ;; `count` is a multiple of 8: 2 vector copies per panel and k. In groups of 4 panels (128
  ;; bytes of each row, two cache lines), rows in order within a group: src is read front to back
  ;; within the group's columns and only 4 panels are written at a time (row by row across all
  ;; panels wrote to count/8 places per row, 2-3x slower at n = 256-4096; a panel-by-panel order
  ;; would touch a new page at every k).
  (func (export "packPanelsContiguous8")
    (param $src i32) (param $innerStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $group i32) (local $groupEnd i32) (local $x i32) (local $k i32) (local $from i32) (local $to i32)
    (local $rowFrom i32) (local $rowTo i32) (local $panelBytes i32) (local $rowBytes i32)
    (local.set $panelBytes (i32.mul (local.get $inner) (i32.const 32)))
    (local.set $rowBytes (i32.shl (local.get $innerStride) (i32.const 2)))
    (if (i32.eqz (local.get $inner)) (then (return)))
    (local.set $group (i32.const 0))
    (block $groupsDone
      (loop $nextGroup
        (br_if $groupsDone (i32.ge_u (local.get $group) (local.get $count)))
        (local.set $groupEnd (i32.add (local.get $group) (i32.const 32)))
        (if (i32.gt_u (local.get $groupEnd) (local.get $count)) (then (local.set $groupEnd (local.get $count))))
        (local.set $rowFrom (i32.add (local.get $src) (i32.shl (local.get $group) (i32.const 2))))
        (local.set $rowTo (i32.add (local.get $dst) (i32.mul (i32.div_u (local.get $group) (i32.const 8)) (local.get $panelBytes))))
        (local.set $k (i32.const 0))
        (loop $row
          (local.set $x (local.get $group))
          (local.set $from (local.get $rowFrom))
          (local.set $to (local.get $rowTo))
          (loop $panel
            (v128.store offset=0 (local.get $to) (v128.load offset=0 (local.get $from)))
            (v128.store offset=16 (local.get $to) (v128.load offset=16 (local.get $from)))
            (local.set $from (i32.add (local.get $from) (i32.const 32)))
            (local.set $to (i32.add (local.get $to) (local.get $panelBytes)))
            (local.set $x (i32.add (local.get $x) (i32.const 8)))
            (br_if $panel (i32.lt_u (local.get $x) (local.get $groupEnd))))
          (local.set $rowFrom (i32.add (local.get $rowFrom) (local.get $rowBytes)))
          (local.set $rowTo (i32.add (local.get $rowTo) (i32.const 32)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $row (i32.lt_u (local.get $k) (local.get $inner))))
        (local.set $group (local.get $groupEnd))
        (br $nextGroup)))
  )

  ;; The same layout when M(x, k) = src[x + k·innerStride] (a panel's lanes side by side) and
  ;; `count` is a multiple of 4: 2 vector copies per panel and k. In groups of 4 panels (128
  ;; bytes of each row, two cache lines), rows in order within a group: src is read front to back
  ;; within the group's columns and only 4 panels are written at a time (row by row across all
  ;; panels wrote to count/4 places per row, 2-3x slower at n = 256-4096; a panel-by-panel order
  ;; would touch a new page at every k).
  (func (export "packPanelsContiguous4F64")
    (param $src i32) (param $innerStride i32) (param $count i32) (param $inner i32) (param $dst i32)
    (local $group i32) (local $groupEnd i32) (local $x i32) (local $k i32) (local $from i32) (local $to i32)
    (local $rowFrom i32) (local $rowTo i32) (local $panelBytes i32) (local $rowBytes i32)
    (local.set $panelBytes (i32.mul (local.get $inner) (i32.const 32)))
    (local.set $rowBytes (i32.shl (local.get $innerStride) (i32.const 3)))
    (if (i32.eqz (local.get $inner)) (then (return)))
    (local.set $group (i32.const 0))
    (block $groupsDone
      (loop $nextGroup
        (br_if $groupsDone (i32.ge_u (local.get $group) (local.get $count)))
        (local.set $groupEnd (i32.add (local.get $group) (i32.const 16)))
        (if (i32.gt_u (local.get $groupEnd) (local.get $count)) (then (local.set $groupEnd (local.get $count))))
        (local.set $rowFrom (i32.add (local.get $src) (i32.shl (local.get $group) (i32.const 3))))
        (local.set $rowTo (i32.add (local.get $dst) (i32.mul (i32.div_u (local.get $group) (i32.const 4)) (local.get $panelBytes))))
        (local.set $k (i32.const 0))
        (loop $row
          (local.set $x (local.get $group))
          (local.set $from (local.get $rowFrom))
          (local.set $to (local.get $rowTo))
          (loop $panel
            (v128.store offset=0 (local.get $to) (v128.load offset=0 (local.get $from)))
            (v128.store offset=16 (local.get $to) (v128.load offset=16 (local.get $from)))
            (local.set $from (i32.add (local.get $from) (i32.const 32)))
            (local.set $to (i32.add (local.get $to) (local.get $panelBytes)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br_if $panel (i32.lt_u (local.get $x) (local.get $groupEnd))))
          (local.set $rowFrom (i32.add (local.get $rowFrom) (local.get $rowBytes)))
          (local.set $rowTo (i32.add (local.get $rowTo) (i32.const 32)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $row (i32.lt_u (local.get $k) (local.get $inner))))
        (local.set $group (local.get $groupEnd))
        (br $nextGroup)))
  )

  ;; dst[i] = src[i] widened from float32 to float64, i < count, front to back 4 at a time: src
  ;; may lie in the upper half of dst's region (src = dst + 4·count), where each step reads its
  ;; floats before writing over them. The float64 product's operands are copied in as float32
  ;; (a plain copy) and widened here.
  (func (export "widenFloat32")
    (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $quadsEnd i32) (local $v v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $quadsEnd (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $quadsDone
      (loop $quad
        (br_if $quadsDone (i32.ge_u (local.get $src) (local.get $quadsEnd)))
        (local.set $v (v128.load (local.get $src)))
        (v128.store offset=0 (local.get $dst) (f64x2.promote_low_f32x4 (local.get $v)))
        (v128.store offset=16 (local.get $dst)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $quad)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (f64.store (local.get $dst) (f64.promote_f32 (f32.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br $one)))
  )

  ;; dst[i] = src[i] rounded from float64 to float32 (to nearest, ties to even), i < count, front
  ;; to back: dst may be src (each step writes behind what it has read).
  (func (export "narrowFloat64")
    (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $pairsEnd i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    (local.set $pairsEnd (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -2)) (i32.const 3))))
    (block $pairsDone
      (loop $pair
        (br_if $pairsDone (i32.ge_u (local.get $src) (local.get $pairsEnd)))
        (v128.store64_lane 0 (local.get $dst) (f32x4.demote_f64x2_zero (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br $pair)))
    (if (i32.lt_u (local.get $src) (local.get $end))
      (then (f32.store (local.get $dst) (f32.demote_f64 (f64.load (local.get $src))))))
  )
