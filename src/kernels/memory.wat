;; The gloss kernel module's linear memory (a fragment: scripts/build-wasm.mjs puts the .wat
;; fragments of this folder, this one first, inside one `(module ...)`).
;;
;; The memory holds nothing but scratch space: the TypeScript wrappers copy each chunk of input
;; into it, call a kernel with byte offsets, and copy the results out (src/kernels/runtime.ts owns
;; the layout and grows the memory on demand). Offsets below 64 are never handed out, so 0 can
;; mean "no array".
  (memory (export "memory") 4)
