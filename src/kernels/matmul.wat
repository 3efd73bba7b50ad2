;; Matrix products C = A · B, float32 and float64, with register tiles whose accumulators stay
;; in registers over the whole inner dimension (a fragment of the gloss kernel module, see
;; memory.wat; src/kernels/matmul.ts drives it).
;;
;; The product reads both operands through strides, so most need no packing:
;;   A(i, k) at a + (i / 4)·aPanelStride + (i % 4)·aLane + k·aStep (bytes): a row-major A has
;;     aLane = inner·E, aStep = E; a transposed one aLane = E, aStep = rows·E; a packed panel
;;     (the ragged last rows, zero-padded to 4) aLane = E, aStep = 4·E;
;;   B(k, j) at b + (j / NR)·bPanelStride + k·bStep + (j % NR)·E: NR = 8 float32 / 4 float64
;;     columns side by side, as in a row-major B (bStep = columns·E) or its packed panels (bStep =
;;     NR·E, each panel contiguous, which keeps it in L1 while the row panels of A go by).
;;
;; float32: 4 × 8 tile, 8 f32x4 accumulators; each step over k loads 2 vectors of B, splats 4
;; values of A and does 8 multiplies and 8 adds (wasm SIMD has no fused multiply-add without
;; relaxed-simd, so the sums round like a plain float32 loop's; scripts/build-wasm.mjs also builds
;; these functions with relaxed_madd into a second module, used after useFusedMultiplyAdd(true) where the
;; engine has it). Wider
;; tiles (5 × 8, 6 × 8, 4 × 12, 12 × 4, 8 × 4) and unrolling over k measured no faster in V8:
;; x64 wasm code has 15 usable xmm registers, TurboFan hoists all of a step's loads ahead of the
;; arithmetic (more live vectors than registers spill), and 4 × 8 already keeps the multiply and
;; add ports busy. On this bench machine's Intel cores (Golden Cove class) multiplies issue on 2
;; ports and adds on 2, one shared (measured: 1.93 multiplies, 2.0 adds or 1.47 multiply-add
;; pairs per cycle): a multiply plus an add per 4 lanes caps at 12 flop per cycle, 41–44 GFLOP/s
;; at the 3.5–3.9 GHz this shared VM runs at (bench/matmul.ts times that ceiling beside the
;; products). A step of the 4 × 8 tile is 16 FP uops (5.33 cycles on 3 ports) and about 31 uops
;; in all (2 vector and 4 splat loads, 3 lane address adds, the pointer step and branch, V8's
;; loop stack check every 2 steps; ≈ 5.2 cycles at 6 per cycle): both limits meet, the tiles
;; alone run at 11.5–12 flop per cycle, and packing A (no lane adds) measured no faster. A fused
;; multiply-add could reach 16: the relaxed module's 4 × 8 tiles reach 46–53 on hot operands (8
;; accumulators are exactly FMA latency 4 × 2 ports, no slack), and 5 × 8 and 6 × 8 fused tiles
;; measured slower still (33–40: TurboFan keeps a register per splat address and spills). A 4 × 4
;; float32 tile for a ragged last panel of at most 4
;; columns was no faster than padding it to 8: with 4 accumulators the add latency shows.
;; float64: 4 × 4 tile, 8 f64x2 accumulators, the same shape.
;;
;; `accumulate` ≠ 0 adds the tiles to C instead of assigning them: the driver splits a long inner
;; dimension into pieces of at most 1024, so that a sweep over k touches a bounded number of
;; pages (wasm memory has 4 KiB pages; a strided sweep over 4096 rows of B missed the TLB at every
;; step), and C is read back once per piece.

  ;; C (row stride cStride bytes) = (C if accumulate) + A (rows) · B (columns), float32, operands
  ;; as described above.
  ;; `edge` is 4 · 8 floats of scratch for the tiles that overhang the last row or column.
  ;; rows, columns and inner ≥ 1.
  (func (export "matmulTiles")
    (param $a i32) (param $aLane i32) (param $aStep i32) (param $aPanelStride i32)
    (param $b i32) (param $bStep i32) (param $bPanelStride i32)
    (param $c i32) (param $cStride i32) (param $rows i32) (param $columns i32) (param $inner i32) (param $accumulate i32)
    (param $edge i32)
    (local $i i32) (local $j i32) (local $aPanel i32) (local $bPanel i32) (local $ap i32) (local $bp i32) (local $bEnd i32)
    (local $lane1 i32) (local $lane2 i32) (local $lane3 i32) (local $bSpan i32) (local $packed i32)
    (local $cp i32) (local $full i32) (local $validRows i32) (local $validColumns i32) (local $r i32) (local $q i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $lane1 (i32.mul (local.get $aLane) (i32.const 1)))
    (local.set $lane2 (i32.mul (local.get $aLane) (i32.const 2)))
    (local.set $lane3 (i32.mul (local.get $aLane) (i32.const 3)))
    (local.set $bSpan (i32.mul (local.get $inner) (local.get $bStep)))
    (local.set $packed (i32.and (i32.eq (local.get $aLane) (i32.const 4)) (i32.eq (local.get $aStep) (i32.const 16))))
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
        (local.set $bEnd (i32.add (local.get $bPanel) (local.get $bSpan)))
        ;; A packed in panels (lane 4 bytes, step 16): the splats at constant offsets from one
        ;; pointer, three address additions fewer a step (worth ~4% with fused multiply-adds,
        ;; whose loop is short enough for them to show); the same operations in the same order.
        (if (local.get $packed)
          (then
        (loop $packedStep
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
          (local.set $bp (i32.add (local.get $bp) (local.get $bStep)))
          (br_if $packedStep (i32.ne (local.get $bp) (local.get $bEnd)))))
          (else
        (loop $step
          (local.set $b0 (v128.load offset=0 (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $s (v128.load32_splat (local.get $ap)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat (i32.add (local.get $ap) (local.get $lane1))))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat (i32.add (local.get $ap) (local.get $lane2))))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat (i32.add (local.get $ap) (local.get $lane3))))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $ap (i32.add (local.get $ap) (local.get $aStep)))
          (local.set $bp (i32.add (local.get $bp) (local.get $bStep)))
          (br_if $step (i32.ne (local.get $bp) (local.get $bEnd))))))
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
        (if (i32.and (local.get $full) (local.get $accumulate))
          (then
            (v128.store offset=0 (local.get $cp) (f32x4.add (v128.load offset=0 (local.get $cp)) (local.get $c00)))
            (v128.store offset=16 (local.get $cp) (f32x4.add (v128.load offset=16 (local.get $cp)) (local.get $c01)))
            (local.set $cp (i32.add (local.get $cp) (local.get $cStride)))
            (v128.store offset=0 (local.get $cp) (f32x4.add (v128.load offset=0 (local.get $cp)) (local.get $c10)))
            (v128.store offset=16 (local.get $cp) (f32x4.add (v128.load offset=16 (local.get $cp)) (local.get $c11)))
            (local.set $cp (i32.add (local.get $cp) (local.get $cStride)))
            (v128.store offset=0 (local.get $cp) (f32x4.add (v128.load offset=0 (local.get $cp)) (local.get $c20)))
            (v128.store offset=16 (local.get $cp) (f32x4.add (v128.load offset=16 (local.get $cp)) (local.get $c21)))
            (local.set $cp (i32.add (local.get $cp) (local.get $cStride)))
            (v128.store offset=0 (local.get $cp) (f32x4.add (v128.load offset=0 (local.get $cp)) (local.get $c30)))
            (v128.store offset=16 (local.get $cp) (f32x4.add (v128.load offset=16 (local.get $cp)) (local.get $c31)))
          )
          (else
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
          ))
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
                (local.set $s (v128.load32_zero (i32.add (local.get $edge) (i32.shl (i32.add (i32.mul (local.get $r) (i32.const 8)) (local.get $q)) (i32.const 2)))))
                (if (local.get $accumulate)
                  (then (local.set $s (f32x4.add (local.get $s) (v128.load32_zero (local.get $cp))))))
                (f32.store (local.get $cp) (f32x4.extract_lane 0 (local.get $s)))
                (local.set $cp (i32.add (local.get $cp) (i32.const 4)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $edgeColumn (i32.lt_u (local.get $q) (local.get $validColumns))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $edgeRow (i32.lt_u (local.get $r) (local.get $validRows))))))
        (local.set $aPanel (i32.add (local.get $aPanel) (local.get $aPanelStride)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $rowPanel (i32.lt_u (local.get $i) (local.get $rows))))
      (local.set $bPanel (i32.add (local.get $bPanel) (local.get $bPanelStride)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br_if $columnPanel (i32.lt_u (local.get $j) (local.get $columns))))
  )

  ;; The float64 product: a 4 × 4 tile of f64x2 accumulators, B in panels of 4 columns; `edge`
  ;; holds 4 · 4 doubles.
  (func (export "matmulTilesF64")
    (param $a i32) (param $aLane i32) (param $aStep i32) (param $aPanelStride i32)
    (param $b i32) (param $bStep i32) (param $bPanelStride i32)
    (param $c i32) (param $cStride i32) (param $rows i32) (param $columns i32) (param $inner i32) (param $accumulate i32)
    (param $edge i32)
    (local $i i32) (local $j i32) (local $aPanel i32) (local $bPanel i32) (local $ap i32) (local $bp i32) (local $bEnd i32)
    (local $lane1 i32) (local $lane2 i32) (local $lane3 i32) (local $bSpan i32)
    (local $cp i32) (local $full i32) (local $validRows i32) (local $validColumns i32) (local $r i32) (local $q i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $lane1 (i32.mul (local.get $aLane) (i32.const 1)))
    (local.set $lane2 (i32.mul (local.get $aLane) (i32.const 2)))
    (local.set $lane3 (i32.mul (local.get $aLane) (i32.const 3)))
    (local.set $bSpan (i32.mul (local.get $inner) (local.get $bStep)))
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
        (local.set $bEnd (i32.add (local.get $bPanel) (local.get $bSpan)))
        (loop $step
          (local.set $b0 (v128.load offset=0 (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $s (v128.load64_splat (local.get $ap)))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $s) (local.get $b0))))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load64_splat (i32.add (local.get $ap) (local.get $lane1))))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $s) (local.get $b0))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load64_splat (i32.add (local.get $ap) (local.get $lane2))))
          (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $s) (local.get $b0))))
          (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load64_splat (i32.add (local.get $ap) (local.get $lane3))))
          (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $s) (local.get $b0))))
          (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $s) (local.get $b1))))
          (local.set $ap (i32.add (local.get $ap) (local.get $aStep)))
          (local.set $bp (i32.add (local.get $bp) (local.get $bStep)))
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
        (if (i32.and (local.get $full) (local.get $accumulate))
          (then
            (v128.store offset=0 (local.get $cp) (f64x2.add (v128.load offset=0 (local.get $cp)) (local.get $c00)))
            (v128.store offset=16 (local.get $cp) (f64x2.add (v128.load offset=16 (local.get $cp)) (local.get $c01)))
            (local.set $cp (i32.add (local.get $cp) (local.get $cStride)))
            (v128.store offset=0 (local.get $cp) (f64x2.add (v128.load offset=0 (local.get $cp)) (local.get $c10)))
            (v128.store offset=16 (local.get $cp) (f64x2.add (v128.load offset=16 (local.get $cp)) (local.get $c11)))
            (local.set $cp (i32.add (local.get $cp) (local.get $cStride)))
            (v128.store offset=0 (local.get $cp) (f64x2.add (v128.load offset=0 (local.get $cp)) (local.get $c20)))
            (v128.store offset=16 (local.get $cp) (f64x2.add (v128.load offset=16 (local.get $cp)) (local.get $c21)))
            (local.set $cp (i32.add (local.get $cp) (local.get $cStride)))
            (v128.store offset=0 (local.get $cp) (f64x2.add (v128.load offset=0 (local.get $cp)) (local.get $c30)))
            (v128.store offset=16 (local.get $cp) (f64x2.add (v128.load offset=16 (local.get $cp)) (local.get $c31)))
          )
          (else
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
          ))
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
                (local.set $s (v128.load64_zero (i32.add (local.get $edge) (i32.shl (i32.add (i32.mul (local.get $r) (i32.const 4)) (local.get $q)) (i32.const 3)))))
                (if (local.get $accumulate)
                  (then (local.set $s (f64x2.add (local.get $s) (v128.load64_zero (local.get $cp))))))
                (f64.store (local.get $cp) (f64x2.extract_lane 0 (local.get $s)))
                (local.set $cp (i32.add (local.get $cp) (i32.const 8)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $edgeColumn (i32.lt_u (local.get $q) (local.get $validColumns))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $edgeRow (i32.lt_u (local.get $r) (local.get $validRows))))))
        (local.set $aPanel (i32.add (local.get $aPanel) (local.get $aPanelStride)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $rowPanel (i32.lt_u (local.get $i) (local.get $rows))))
      (local.set $bPanel (i32.add (local.get $bPanel) (local.get $bPanelStride)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br_if $columnPanel (i32.lt_u (local.get $j) (local.get $columns))))
  )
