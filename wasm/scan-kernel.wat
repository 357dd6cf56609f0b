;; The exact-scan distance kernel (wasm simd128), compiled by wabt's wat2wasm
;; (wasm/build-kernel.ts); the bytes ship inside wasm/scan-kernel-bytes.ts.
;;
;; It runs on the rvf-wasm engine's memory (imported), over rows the store
;; allocated there through the engine's allocator: one WASM heap per process,
;; no second copy of the vectors.
;;
;; A row is the vector's float32 values padded with zeros to a multiple of 4
;; (`n4` f32x4 lanes of 16 bytes); the query is padded the same way, so the
;; padding adds 0 to every sum. Distances are float32, as the engine's:
;;   metric 0, l2:         sum (q - r)^2          (squared L2)
;;   metric 1, dotproduct: -(q . r)
;;   metric 2, cosine:     1 - q.r / (|q| |r|)    (|q| passed in as qnorm)
;; Cosine rows whose norm product is under 2e-10, or infinite, come out as
;; -inf: the engine's rule (1 when the product is under 1e-10) sits there, so
;; the caller decides those rows in float64 rather than trust float32.
;; Four accumulators per sum keep four independent addition chains in flight;
;; the caller bounds float32's error from that order (wasm/exact-distance.ts)
;; and re-ranks the near ones in float64, so the order never decides a result.
(module
  (import "env" "memory" (memory 0))

  ;; (l0 + l1) + (l2 + l3) of the four accumulators' sum.
  (func $hsum (param $a v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  (func $l2 (param $q i32) (param $r i32) (param $n4 i32) (result f32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $d v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -64)))
    (block $done4
      (loop $next4
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $q) (local.get $i))) (v128.load (i32.add (local.get $r) (local.get $i)))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=16 (i32.add (local.get $q) (local.get $i))) (v128.load offset=16 (i32.add (local.get $r) (local.get $i)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=32 (i32.add (local.get $q) (local.get $i))) (v128.load offset=32 (i32.add (local.get $r) (local.get $i)))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=48 (i32.add (local.get $q) (local.get $i))) (v128.load offset=48 (i32.add (local.get $r) (local.get $i)))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $next4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $q) (local.get $i))) (v128.load (i32.add (local.get $r) (local.get $i)))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (call $hsum (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))))

  ;; q . r with four accumulators (dotproduct and cosine share it).
  (func $dot (param $q i32) (param $r i32) (param $n4 i32) (result f32)
    (local $i i32) (local $end i32) (local $end4 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -64)))
    (block $done4
      (loop $next4
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (i32.add (local.get $q) (local.get $i))) (v128.load (i32.add (local.get $r) (local.get $i))))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (i32.add (local.get $q) (local.get $i))) (v128.load offset=16 (i32.add (local.get $r) (local.get $i))))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (i32.add (local.get $q) (local.get $i))) (v128.load offset=32 (i32.add (local.get $r) (local.get $i))))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (i32.add (local.get $q) (local.get $i))) (v128.load offset=48 (i32.add (local.get $r) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $next4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (i32.add (local.get $q) (local.get $i))) (v128.load (i32.add (local.get $r) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (call $hsum (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))))

  ;; 1 - q.r / (qnorm |r|), reading the row once for both sums.
  (func $cosine (param $q i32) (param $r i32) (param $n4 i32) (param $qnorm f32) (result f32)
    (local $i i32) (local $end i32) (local $end2 i32) (local $x v128) (local $denom f32)
    (local $d0 v128) (local $d1 v128) (local $n0 v128) (local $n1 v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end2 (i32.and (local.get $end) (i32.const -32)))
    (block $done2
      (loop $next2
        (br_if $done2 (i32.ge_u (local.get $i) (local.get $end2)))
        (local.set $x (v128.load (i32.add (local.get $r) (local.get $i))))
        (local.set $d0 (f32x4.add (local.get $d0) (f32x4.mul (v128.load (i32.add (local.get $q) (local.get $i))) (local.get $x))))
        (local.set $n0 (f32x4.add (local.get $n0) (f32x4.mul (local.get $x) (local.get $x))))
        (local.set $x (v128.load offset=16 (i32.add (local.get $r) (local.get $i))))
        (local.set $d1 (f32x4.add (local.get $d1) (f32x4.mul (v128.load offset=16 (i32.add (local.get $q) (local.get $i))) (local.get $x))))
        (local.set $n1 (f32x4.add (local.get $n1) (f32x4.mul (local.get $x) (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $next2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $x (v128.load (i32.add (local.get $r) (local.get $i))))
        (local.set $d0 (f32x4.add (local.get $d0) (f32x4.mul (v128.load (i32.add (local.get $q) (local.get $i))) (local.get $x))))
        (local.set $n0 (f32x4.add (local.get $n0) (f32x4.mul (local.get $x) (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (local.set $denom (f32.mul (local.get $qnorm) (f32.sqrt (call $hsum (f32x4.add (local.get $n0) (local.get $n1))))))
    (if (result f32)
      (i32.and (f32.ge (local.get $denom) (f32.const 2e-10)) (f32.lt (local.get $denom) (f32.const inf)))
      (then (f32.sub (f32.const 1) (f32.div (call $hsum (f32x4.add (local.get $d0) (local.get $d1))) (local.get $denom))))
      (else (f32.const -inf))))

  (func $distance (param $metric i32) (param $q i32) (param $qnorm f32) (param $r i32) (param $n4 i32) (result f32)
    (if (result f32) (i32.eqz (local.get $metric))
      (then (call $l2 (local.get $q) (local.get $r) (local.get $n4)))
      (else
        (if (result f32) (i32.eq (local.get $metric) (i32.const 1))
          (then (f32.neg (call $dot (local.get $q) (local.get $r) (local.get $n4))))
          (else (call $cosine (local.get $q) (local.get $r) (local.get $n4) (local.get $qnorm)))))))

  ;; Distances from the query to `count` consecutive rows starting at `rows`, into out[0..count).
  (func (export "scan_range") (param $metric i32) (param $q i32) (param $qnorm f32) (param $rows i32) (param $count i32) (param $n4 i32) (param $out i32)
    (local $end i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (f32.store (local.get $out) (call $distance (local.get $metric) (local.get $q) (local.get $qnorm) (local.get $rows) (local.get $n4)))
        (local.set $rows (i32.add (local.get $rows) (local.get $stride)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next))))

  ;; Distances from the query to the rows whose addresses are the `count` u32 at `ptrs`, into out[0..count).
  (func (export "scan_list") (param $metric i32) (param $q i32) (param $qnorm f32) (param $ptrs i32) (param $count i32) (param $n4 i32) (param $out i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (f32.store (local.get $out) (call $distance (local.get $metric) (local.get $q) (local.get $qnorm) (i32.load (local.get $ptrs)) (local.get $n4)))
        (local.set $ptrs (i32.add (local.get $ptrs) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next))))

  ;; The largest squared norm among `count` consecutive rows (bounds the dot product's rounding).
  (func (export "max_norm2") (param $rows i32) (param $count i32) (param $n4 i32) (result f32)
    (local $end i32) (local $stride i32) (local $best f32)
    (local.set $stride (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end (i32.add (local.get $rows) (i32.mul (local.get $count) (local.get $stride))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $rows) (local.get $end)))
        (local.set $best (f32.max (local.get $best) (call $dot (local.get $rows) (local.get $rows) (local.get $n4))))
        (local.set $rows (i32.add (local.get $rows) (local.get $stride)))
        (br $next)))
    (local.get $best))

  ;; The bandwidth floor: a SIMD sum over `bytes` bytes (a multiple of 64) at `ptr`,
  ;; the least work that still reads every byte a scan reads.
  (func (export "sum_bytes") (param $ptr i32) (param $bytes i32) (result f32)
    (local $end i32) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $end (i32.add (local.get $ptr) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $ptr))))
        (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $ptr))))
        (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $ptr))))
        (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 64)))
        (br $next)))
    (call $hsum (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))))
)
