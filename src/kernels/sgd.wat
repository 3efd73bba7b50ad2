;; Plain SGD on float32 weights (a fragment of the gloss kernel module, see memory.wat;
;; src/kernels/sgd.ts drives it): w ← decay · w − lr · clip(rescale · g), clip(v) =
;; min(max(v, −bound), bound), every operation in float64 (two lanes at a time), the weight rounded
;; to float32 once on store: the same operations in the same order as the TypeScript loop, so
;; the same results (NaN propagates through min and max as through Math.min and Math.max; only
;; a NaN's payload may differ).

  (func (export "sgdUpdate")
    (param $weight i32) (param $grad i32) (param $count i32)
    (param $decay f64) (param $lr f64) (param $rescale f64) (param $bound f64)
    (local $end i32) (local $pairsEnd i32)
    (local $decay2 v128) (local $lr2 v128) (local $rescale2 v128) (local $high2 v128) (local $low2 v128)
    (local $g v128) (local $w v128)
    (local.set $decay2 (f64x2.splat (local.get $decay)))
    (local.set $lr2 (f64x2.splat (local.get $lr)))
    (local.set $rescale2 (f64x2.splat (local.get $rescale)))
    (local.set $high2 (f64x2.splat (local.get $bound)))
    (local.set $low2 (f64x2.splat (f64.neg (local.get $bound))))
    (local.set $end (i32.add (local.get $weight) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $pairsEnd (i32.add (local.get $weight) (i32.shl (i32.and (local.get $count) (i32.const -2)) (i32.const 2))))
    ;; No bound (Infinity): the clip is the identity (NaN and −0 included) and is left out, for
    ;; speed (wasm's NaN-propagating f64x2.min and max take several instructions each in V8).
    (if (f64.eq (local.get $bound) (f64.const inf))
      (then
        (block $pairsDone
          (loop $pair
            (br_if $pairsDone (i32.ge_u (local.get $weight) (local.get $pairsEnd)))
            (local.set $g (f64x2.mul (local.get $rescale2) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $grad)))))
            (local.set $w (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $weight))))
            (local.set $w
              (f64x2.sub (f64x2.mul (local.get $decay2) (local.get $w)) (f64x2.mul (local.get $lr2) (local.get $g))))
            (v128.store64_lane 0 (local.get $weight) (f32x4.demote_f64x2_zero (local.get $w)))
            (local.set $weight (i32.add (local.get $weight) (i32.const 8)))
            (local.set $grad (i32.add (local.get $grad) (i32.const 8)))
            (br $pair))))
      (else
        (block $pairsDone
          (loop $pair
            (br_if $pairsDone (i32.ge_u (local.get $weight) (local.get $pairsEnd)))
            (local.set $g (f64x2.mul (local.get $rescale2) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $grad)))))
            (local.set $g (f64x2.min (f64x2.max (local.get $g) (local.get $low2)) (local.get $high2)))
            (local.set $w (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $weight))))
            (local.set $w
              (f64x2.sub (f64x2.mul (local.get $decay2) (local.get $w)) (f64x2.mul (local.get $lr2) (local.get $g))))
            (v128.store64_lane 0 (local.get $weight) (f32x4.demote_f64x2_zero (local.get $w)))
            (local.set $weight (i32.add (local.get $weight) (i32.const 8)))
            (local.set $grad (i32.add (local.get $grad) (i32.const 8)))
            (br $pair)))))
    (if (i32.lt_u (local.get $weight) (local.get $end))
      (then
        (f32.store (local.get $weight)
          (f32.demote_f64
            (f64.sub
              (f64.mul (local.get $decay) (f64.promote_f32 (f32.load (local.get $weight))))
              (f64.mul (local.get $lr)
                (f64.min
                  (f64.max (f64.mul (local.get $rescale) (f64.promote_f32 (f32.load (local.get $grad)))) (f64.neg (local.get $bound)))
                  (local.get $bound))))))))
  )
