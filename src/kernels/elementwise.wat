;; Elementwise maps over float32 arrays in linear memory: dst[i] = f(src[i]) for i < count.
;; (A fragment of the gloss kernel module, see memory.wat.)
;;
;; Each map works on whole f32x4 vectors: it reads and writes up to 3 lanes past `count`, so the
;; caller pads both regions to a multiple of 16 bytes. src and dst may be the same region.

  (func (export "mapExp") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst) (call $exp4 (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
  )

  (func (export "mapLog") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst) (call $log4 (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
  )

  (func (export "mapLog1p") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst) (call $log1p4 (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
  )

  (func (export "mapSoftplus") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst) (call $softplus4 (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
  )

  (func (export "mapSigmoid") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst) (call $sigmoid4 (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
  )

  ;; 1 when the `count` floats from `src` are all finite, else 0: x − x is 0 for a finite x and
  ;; NaN for ±Infinity or NaN, and a NaN stays in the running sum (the segment driver's check of a
  ;; float32-lane gradient, see _segments.ts). Whole vectors, then one float at a time: nothing
  ;; past `count` is read.
  (func (export "finiteFloats") (param $src i32) (param $count i32) (result i32)
    (local $end i32) (local $vectorEnd i32) (local $sum v128) (local $tail f32) (local $v v128) (local $x f32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $vectorEnd
      (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $src) (local.get $vectorEnd)))
        (local.set $v (v128.load (local.get $src)))
        (local.set $sum (f32x4.add (local.get $sum) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $vectors)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $x (f32.load (local.get $src)))
        (local.set $tail (f32.add (local.get $tail) (f32.sub (local.get $x) (local.get $x))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $tail)))
    ;; every lane (and the tail) still 0
    (i32.and
      (i32.and
        (f32.eq (local.get $tail) (f32.const 0))
        (i32.and
          (f32.eq (f32x4.extract_lane 0 (local.get $sum)) (f32.const 0))
          (f32.eq (f32x4.extract_lane 1 (local.get $sum)) (f32.const 0))))
      (i32.and
        (f32.eq (f32x4.extract_lane 2 (local.get $sum)) (f32.const 0))
        (f32.eq (f32x4.extract_lane 3 (local.get $sum)) (f32.const 0))))
  )
