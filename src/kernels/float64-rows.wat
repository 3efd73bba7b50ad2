;; Float64 kernels over arrays and rows built on math-float64.wat's e^x and log x (a fragment of
;; the gloss kernel module, see memory.wat, after math-float64.wat): the maps behind expInto and
;; logInto for float64 arrays (elementwise.ts), and the row maximum and sum of exponentials of
;; the float64 softmax normalisers (softmax-float64.ts).

  ;; dst[i] = e^src[i] and log src[i] for i < count, float64 (test and map entries): whole pairs,
  ;; so up to one element past count is read and written (callers pad both regions).
  (func (export "mapExpF64") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst) (call $expPairF64 (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
  )

  (func (export "mapLogF64") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst) (call $logPairF64 (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
  )

  ;; total + Σ e^(src[i] − shift) over i < count, i ≠ skip (skip < 0: none), added one by one in
  ;; index order, as the float64 reference sums them (a skipped lane adds +0, which changes no
  ;; sum: every term is ≥ +0). src is float32 ($float32 ≠ 0) or float64; a pair past an odd
  ;; count reads one element more (callers pad).
  (func (export "expSumF64")
    (param $src i32) (param $float32 i32) (param $count i32) (param $shift f64) (param $skip i32) (param $total f64)
    (result f64)
    (local $i i32) (local $step i32) (local $pair v128) (local $shifts v128)
    (local.set $step (select (i32.const 8) (i32.const 16) (local.get $float32)))
    (local.set $shifts (f64x2.splat (local.get $shift)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $count)))
        (local.set $pair
          (call $expPairF64 (f64x2.sub (call $loadPairF64 (local.get $src) (local.get $float32)) (local.get $shifts))))
        (local.set $total
          (f64.add (local.get $total)
            (select (f64.const 0) (f64x2.extract_lane 0 (local.get $pair)) (i32.eq (local.get $i) (local.get $skip)))))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $count))
          (then
            (local.set $total
              (f64.add (local.get $total)
                (select (f64.const 0) (f64x2.extract_lane 1 (local.get $pair))
                  (i32.eq (i32.add (local.get $i) (i32.const 1)) (local.get $skip)))))))
        (local.set $src (i32.add (local.get $src) (local.get $step)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (local.get $total)
  )

  ;; Where the row's finite maximum first is (its index), or −1 when its maximum is not finite (a
  ;; NaN, +Infinity, or every entry −Infinity), as softmax-float64.ts's finiteMaximumAt. One pass
  ;; keeps the lane-wise maximum (pmax: one instruction, NaN ignored) and whether a NaN was seen;
  ;; a second finds the first entry equal to the maximum (a vector compare, then its bitmask's
  ;; lowest bit). Float32 rows four entries a step, float64 two; the tail one at a time.
  (func (export "finiteMaximumAtF64") (param $src i32) (param $float32 i32) (param $count i32) (result i32)
    (if (result i32) (local.get $float32)
      (then (call $finiteMaximumAtF32x4 (local.get $src) (local.get $count)))
      (else (call $finiteMaximumAtF64x2 (local.get $src) (local.get $count))))
  )

  (func $finiteMaximumAtF32x4 (param $src i32) (param $count i32) (result i32)
    (local $i i32) (local $whole i32) (local $lanes v128) (local $nan v128) (local $maximum f32) (local $v f32) (local $mask i32)
    (local.set $whole (i32.and (local.get $count) (i32.const -4)))
    (local.set $lanes (f32x4.splat (f32.const -inf)))
    (local.set $nan (v128.const i32x4 0 0 0 0))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $whole)))
        (local.set $nan
          (v128.or (local.get $nan)
            (f32x4.ne
              (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
              (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $lanes
          (f32x4.pmax (local.get $lanes) (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (local.set $maximum
      (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $lanes)) (f32x4.extract_lane 1 (local.get $lanes)))
        (f32.max (f32x4.extract_lane 2 (local.get $lanes)) (f32x4.extract_lane 3 (local.get $lanes)))))
    (if (v128.any_true (local.get $nan)) (then (return (i32.const -1))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_s (local.get $i) (local.get $count)))
        (local.set $v (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))
        (if (f32.ne (local.get $v) (local.get $v)) (then (return (i32.const -1))))
        (local.set $maximum (f32.max (local.get $maximum) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    ;; m − m is 0 only for finite m
    (if (f32.ne (f32.sub (local.get $maximum) (local.get $maximum)) (f32.const 0)) (then (return (i32.const -1))))
    (local.set $lanes (f32x4.splat (local.get $maximum)))
    (local.set $i (i32.const 0))
    (block $found
      (loop $scan
        (br_if $found (i32.ge_s (local.get $i) (local.get $whole)))
        (local.set $mask
          (i32x4.bitmask
            (f32x4.eq (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $lanes))))
        (if (local.get $mask) (then (return (i32.add (local.get $i) (i32.ctz (local.get $mask))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $scan)))
    (loop $last
      (if (f32.eq (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $maximum))
        (then (return (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $last))
    (unreachable)
  )

  (func $finiteMaximumAtF64x2 (param $src i32) (param $count i32) (result i32)
    (local $i i32) (local $whole i32) (local $lanes v128) (local $nan v128) (local $maximum f64) (local $v f64) (local $mask i32)
    (local.set $whole (i32.and (local.get $count) (i32.const -2)))
    (local.set $lanes (f64x2.splat (f64.const -inf)))
    (local.set $nan (v128.const i32x4 0 0 0 0))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $whole)))
        (local.set $nan
          (v128.or (local.get $nan)
            (f64x2.ne
              (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3))))
              (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))))))
        (local.set $lanes
          (f64x2.pmax (local.get $lanes) (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (local.set $maximum (f64.max (f64x2.extract_lane 0 (local.get $lanes)) (f64x2.extract_lane 1 (local.get $lanes))))
    (if (v128.any_true (local.get $nan)) (then (return (i32.const -1))))
    (if (i32.lt_s (local.get $i) (local.get $count))
      (then
        (local.set $v (f64.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))))
        (if (f64.ne (local.get $v) (local.get $v)) (then (return (i32.const -1))))
        (local.set $maximum (f64.max (local.get $maximum) (local.get $v)))))
    (if (f64.ne (f64.sub (local.get $maximum) (local.get $maximum)) (f64.const 0)) (then (return (i32.const -1))))
    (local.set $lanes (f64x2.splat (local.get $maximum)))
    (local.set $i (i32.const 0))
    (block $found
      (loop $scan
        (br_if $found (i32.ge_s (local.get $i) (local.get $whole)))
        (local.set $mask
          (i64x2.bitmask
            (f64x2.eq (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))) (local.get $lanes))))
        (if (local.get $mask) (then (return (i32.add (local.get $i) (i32.ctz (local.get $mask))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $scan)))
    (local.get $i)
  )

  ;; dst[i] = scale · e^((src[i] − shift) − logSum) for i < count (a softmax row's gradient part
  ;; from its normalisers, in the float64 reference's order), into float64 dst or float32 dst
  ;; ($dstFloat32 ≠ 0, the float64 value rounded once). src is float32 ($float32 ≠ 0) or float64;
  ;; a pair past an odd count reads and writes one element more (callers pad).
  (func (export "scaledExpF64")
    (param $src i32) (param $float32 i32) (param $count i32) (param $shift f64) (param $logSum f64) (param $scale f64)
    (param $dst i32) (param $dstFloat32 i32)
    (local $i i32) (local $step i32) (local $values v128) (local $shifts v128) (local $logSums v128) (local $scales v128)
    (local.set $step (select (i32.const 8) (i32.const 16) (local.get $float32)))
    (local.set $shifts (f64x2.splat (local.get $shift)))
    (local.set $logSums (f64x2.splat (local.get $logSum)))
    (local.set $scales (f64x2.splat (local.get $scale)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $count)))
        (local.set $values
          (f64x2.mul (local.get $scales)
            (call $expPairF64
              (f64x2.sub
                (f64x2.sub (call $loadPairF64 (local.get $src) (local.get $float32)) (local.get $shifts))
                (local.get $logSums)))))
        (if (local.get $dstFloat32)
          (then
            (v128.store64_lane 0 (local.get $dst) (f32x4.demote_f64x2_zero (local.get $values)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 8))))
          (else
            (v128.store (local.get $dst) (local.get $values))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))))
        (local.set $src (i32.add (local.get $src) (local.get $step)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
  )
