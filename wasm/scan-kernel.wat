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
;;
;; The scans compute four rows at a time: scan_range the rows i, i + c, i + 2c
;; and i + 3c (c = count / 4), four sequential streams through memory, and
;; scan_list four neighbours of its list. Reading one row at a time left the
;; memory system idle while the core computed: a 100k x 384 l2 scan took
;; 16.6 ms in one stream against 11.9 ms in four, on a Xeon VM whose plain sum
;; over the same bytes (sum_bytes, the bench's floor) took 12.4 ms in one
;; stream and 10.5 ms in four.
;;
;; Each row sums in the same order whether it is computed alone (the rows a
;; count leaves over) or with three others, so its distance is the same float32
;; either way: l2 and dot product in two accumulators (lanes 0-3 of every 8 in
;; one, 4-7 in the other), cosine's two sums in one each (four rows at once
;; already keep eight addition chains in flight, and sixteen accumulators would
;; not fit the registers). The caller bounds float32's error for any order
;; (wasm/exact-distance.ts) and re-ranks the near ones in float64, so the order
;; never decides a result.
(module
  (import "env" "memory" (memory 0))

  ;; (l0 + l1) + (l2 + l3)
  (func $hsum (param $a v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  ;; 1 - dot / (qnorm sqrt(norm2)), or -inf where that product is under 2e-10 or infinite.
  (func $cosine_of (param $dot f32) (param $norm2 f32) (param $qnorm f32) (result f32)
    (local $denom f32)
    (local.set $denom (f32.mul (local.get $qnorm) (f32.sqrt (local.get $norm2))))
    (if (result f32)
      (i32.and (f32.ge (local.get $denom) (f32.const 2e-10)) (f32.lt (local.get $denom) (f32.const inf)))
      (then (f32.sub (f32.const 1) (f32.div (local.get $dot) (local.get $denom))))
      (else (f32.const -inf))))

  ;; One row: the rows a scan has left over after its groups of four.
  (func $l2 (param $q i32) (param $r0 i32) (param $n4 i32) (result f32)
    (local $i i32) (local $end i32) (local $end2 i32) (local $x v128) (local $d v128) (local $a0 v128) (local $a1 v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end2 (i32.and (local.get $end) (i32.const -32)))
    (block $done2
      (loop $next2
        (br_if $done2 (i32.ge_u (local.get $i) (local.get $end2)))
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r0) (local.get $i)))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $x (v128.load offset=16 (i32.add (local.get $q) (local.get $i))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load offset=16 (i32.add (local.get $r0) (local.get $i)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $next2)))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r0) (local.get $i)))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))))
    (call $hsum (f32x4.add (local.get $a0) (local.get $a1))))

  (func $dot (param $q i32) (param $r0 i32) (param $n4 i32) (result f32)
    (local $i i32) (local $end i32) (local $end2 i32) (local $x v128) (local $a0 v128) (local $a1 v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end2 (i32.and (local.get $end) (i32.const -32)))
    (block $done2
      (loop $next2
        (br_if $done2 (i32.ge_u (local.get $i) (local.get $end2)))
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r0) (local.get $i))))))
        (local.set $x (v128.load offset=16 (i32.add (local.get $q) (local.get $i))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x) (v128.load offset=16 (i32.add (local.get $r0) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $next2)))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r0) (local.get $i))))))))
    (call $hsum (f32x4.add (local.get $a0) (local.get $a1))))

  (func $cosine (param $q i32) (param $r0 i32) (param $n4 i32) (param $qnorm f32) (result f32)
    (local $i i32) (local $end i32) (local $end2 i32) (local $x v128) (local $y v128) (local $a0 v128) (local $a1 v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end2 (i32.and (local.get $end) (i32.const -32)))
    (block $done2
      (loop $next2
        (br_if $done2 (i32.ge_u (local.get $i) (local.get $end2)))
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $y (v128.load (i32.add (local.get $r0) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $x (v128.load offset=16 (i32.add (local.get $q) (local.get $i))))
        (local.set $y (v128.load offset=16 (i32.add (local.get $r0) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $next2)))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $y (v128.load (i32.add (local.get $r0) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $y) (local.get $y))))))
    (call $cosine_of (call $hsum (local.get $a0)) (call $hsum (local.get $a1)) (local.get $qnorm)))

  (func $distance (param $metric i32) (param $q i32) (param $qnorm f32) (param $r i32) (param $n4 i32) (result f32)
    (if (result f32) (i32.eqz (local.get $metric))
      (then (call $l2 (local.get $q) (local.get $r) (local.get $n4)))
      (else
        (if (result f32) (i32.eq (local.get $metric) (i32.const 1))
          (then (f32.neg (call $dot (local.get $q) (local.get $r) (local.get $n4))))
          (else (call $cosine (local.get $q) (local.get $r) (local.get $n4) (local.get $qnorm)))))))

  ;; Four rows at once, each summed as the one-row function above sums it; the query is read once for all four.
  (func $l2_4 (param $q i32) (param $r0 i32) (param $r1 i32) (param $r2 i32) (param $r3 i32) (param $n4 i32) (param $o0 i32) (param $o1 i32) (param $o2 i32) (param $o3 i32)
    (local $i i32) (local $end i32) (local $end2 i32) (local $x v128) (local $d v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128) (local $c0 v128) (local $c1 v128) (local $e0 v128) (local $e1 v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end2 (i32.and (local.get $end) (i32.const -32)))
    (block $done2
      (loop $next2
        (br_if $done2 (i32.ge_u (local.get $i) (local.get $end2)))
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r0) (local.get $i)))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r1) (local.get $i)))))
        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r2) (local.get $i)))))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r3) (local.get $i)))))
        (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $x (v128.load offset=16 (i32.add (local.get $q) (local.get $i))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load offset=16 (i32.add (local.get $r0) (local.get $i)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load offset=16 (i32.add (local.get $r1) (local.get $i)))))
        (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load offset=16 (i32.add (local.get $r2) (local.get $i)))))
        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load offset=16 (i32.add (local.get $r3) (local.get $i)))))
        (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $next2)))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r0) (local.get $i)))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r1) (local.get $i)))))
        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r2) (local.get $i)))))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (local.get $x) (v128.load (i32.add (local.get $r3) (local.get $i)))))
        (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $d) (local.get $d))))))
    (f32.store (local.get $o0) (call $hsum (f32x4.add (local.get $a0) (local.get $a1))))
    (f32.store (local.get $o1) (call $hsum (f32x4.add (local.get $b0) (local.get $b1))))
    (f32.store (local.get $o2) (call $hsum (f32x4.add (local.get $c0) (local.get $c1))))
    (f32.store (local.get $o3) (call $hsum (f32x4.add (local.get $e0) (local.get $e1)))))

  (func $dot_4 (param $q i32) (param $r0 i32) (param $r1 i32) (param $r2 i32) (param $r3 i32) (param $n4 i32) (param $o0 i32) (param $o1 i32) (param $o2 i32) (param $o3 i32)
    (local $i i32) (local $end i32) (local $end2 i32) (local $x v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128) (local $c0 v128) (local $c1 v128) (local $e0 v128) (local $e1 v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end2 (i32.and (local.get $end) (i32.const -32)))
    (block $done2
      (loop $next2
        (br_if $done2 (i32.ge_u (local.get $i) (local.get $end2)))
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r0) (local.get $i))))))
        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r1) (local.get $i))))))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r2) (local.get $i))))))
        (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r3) (local.get $i))))))
        (local.set $x (v128.load offset=16 (i32.add (local.get $q) (local.get $i))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x) (v128.load offset=16 (i32.add (local.get $r0) (local.get $i))))))
        (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $x) (v128.load offset=16 (i32.add (local.get $r1) (local.get $i))))))
        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (i32.add (local.get $r2) (local.get $i))))))
        (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $x) (v128.load offset=16 (i32.add (local.get $r3) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $next2)))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r0) (local.get $i))))))
        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r1) (local.get $i))))))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r2) (local.get $i))))))
        (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $r3) (local.get $i))))))))
    (f32.store (local.get $o0) (f32.neg (call $hsum (f32x4.add (local.get $a0) (local.get $a1)))))
    (f32.store (local.get $o1) (f32.neg (call $hsum (f32x4.add (local.get $b0) (local.get $b1)))))
    (f32.store (local.get $o2) (f32.neg (call $hsum (f32x4.add (local.get $c0) (local.get $c1)))))
    (f32.store (local.get $o3) (f32.neg (call $hsum (f32x4.add (local.get $e0) (local.get $e1))))))

  (func $cosine_4 (param $q i32) (param $r0 i32) (param $r1 i32) (param $r2 i32) (param $r3 i32) (param $n4 i32) (param $qnorm f32) (param $o0 i32) (param $o1 i32) (param $o2 i32) (param $o3 i32)
    (local $i i32) (local $end i32) (local $end2 i32) (local $x v128) (local $y v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128) (local $c0 v128) (local $c1 v128) (local $e0 v128) (local $e1 v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (local.set $end2 (i32.and (local.get $end) (i32.const -32)))
    (block $done2
      (loop $next2
        (br_if $done2 (i32.ge_u (local.get $i) (local.get $end2)))
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $y (v128.load (i32.add (local.get $r0) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $y (v128.load (i32.add (local.get $r1) (local.get $i))))
        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $y (v128.load (i32.add (local.get $r2) (local.get $i))))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $y (v128.load (i32.add (local.get $r3) (local.get $i))))
        (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $x (v128.load offset=16 (i32.add (local.get $q) (local.get $i))))
        (local.set $y (v128.load offset=16 (i32.add (local.get $r0) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $y (v128.load offset=16 (i32.add (local.get $r1) (local.get $i))))
        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $y (v128.load offset=16 (i32.add (local.get $r2) (local.get $i))))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $y (v128.load offset=16 (i32.add (local.get $r3) (local.get $i))))
        (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $next2)))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $y (v128.load (i32.add (local.get $r0) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $y (v128.load (i32.add (local.get $r1) (local.get $i))))
        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $y (v128.load (i32.add (local.get $r2) (local.get $i))))
        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $y) (local.get $y))))
        (local.set $y (v128.load (i32.add (local.get $r3) (local.get $i))))
        (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $x) (local.get $y))))
        (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $y) (local.get $y))))))
    (f32.store (local.get $o0) (call $cosine_of (call $hsum (local.get $a0)) (call $hsum (local.get $a1)) (local.get $qnorm)))
    (f32.store (local.get $o1) (call $cosine_of (call $hsum (local.get $b0)) (call $hsum (local.get $b1)) (local.get $qnorm)))
    (f32.store (local.get $o2) (call $cosine_of (call $hsum (local.get $c0)) (call $hsum (local.get $c1)) (local.get $qnorm)))
    (f32.store (local.get $o3) (call $cosine_of (call $hsum (local.get $e0)) (call $hsum (local.get $e1)) (local.get $qnorm))))

  (func $distance_4 (param $metric i32) (param $qnorm f32) (param $q i32) (param $r0 i32) (param $r1 i32) (param $r2 i32) (param $r3 i32) (param $n4 i32) (param $o0 i32) (param $o1 i32) (param $o2 i32) (param $o3 i32)
    (if (i32.eqz (local.get $metric))
      (then (call $l2_4 (local.get $q) (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (local.get $n4) (local.get $o0) (local.get $o1) (local.get $o2) (local.get $o3)))
      (else
        (if (i32.eq (local.get $metric) (i32.const 1))
          (then (call $dot_4 (local.get $q) (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (local.get $n4) (local.get $o0) (local.get $o1) (local.get $o2) (local.get $o3)))
          (else (call $cosine_4 (local.get $q) (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (local.get $n4) (local.get $qnorm) (local.get $o0) (local.get $o1) (local.get $o2) (local.get $o3)))))))

  ;; Distances from the query to `count` consecutive rows starting at `rows`, into out[0..count).
  (func (export "scan_range") (param $metric i32) (param $q i32) (param $qnorm f32) (param $rows i32) (param $count i32) (param $n4 i32) (param $out i32)
    (local $stride i32) (local $far i32) (local $farOut i32) (local $end i32)
    (local.set $stride (i32.shl (local.get $n4) (i32.const 4)))
    ;; the four streams start a quarter of the rows apart
    (local.set $farOut (i32.shl (i32.shr_u (local.get $count) (i32.const 2)) (i32.const 2)))
    (local.set $far (i32.mul (i32.shr_u (local.get $count) (i32.const 2)) (local.get $stride)))
    (local.set $end (i32.add (local.get $out) (local.get $farOut)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (call $distance_4 (local.get $metric) (local.get $qnorm) (local.get $q)
          (local.get $rows)
          (i32.add (local.get $rows) (local.get $far))
          (i32.add (local.get $rows) (i32.shl (local.get $far) (i32.const 1)))
          (i32.add (local.get $rows) (i32.mul (local.get $far) (i32.const 3)))
          (local.get $n4)
          (local.get $out)
          (i32.add (local.get $out) (local.get $farOut))
          (i32.add (local.get $out) (i32.shl (local.get $farOut) (i32.const 1)))
          (i32.add (local.get $out) (i32.mul (local.get $farOut) (i32.const 3))))
        (local.set $rows (i32.add (local.get $rows) (local.get $stride)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next)))
    ;; the last count % 4 rows, one at a time
    (local.set $rows (i32.add (local.get $rows) (i32.mul (local.get $far) (i32.const 3))))
    (local.set $out (i32.add (local.get $out) (i32.mul (local.get $farOut) (i32.const 3))))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $out) (local.get $end)))
        (f32.store (local.get $out) (call $distance (local.get $metric) (local.get $q) (local.get $qnorm) (local.get $rows) (local.get $n4)))
        (local.set $rows (i32.add (local.get $rows) (local.get $stride)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next1))))

  ;; Distances from the query to the rows whose addresses are the `count` u32 at `ptrs`, into out[0..count).
  (func (export "scan_list") (param $metric i32) (param $q i32) (param $qnorm f32) (param $ptrs i32) (param $count i32) (param $n4 i32) (param $out i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (call $distance_4 (local.get $metric) (local.get $qnorm) (local.get $q)
          (i32.load (local.get $ptrs)) (i32.load offset=4 (local.get $ptrs)) (i32.load offset=8 (local.get $ptrs)) (i32.load offset=12 (local.get $ptrs))
          (local.get $n4)
          (local.get $out) (i32.add (local.get $out) (i32.const 4)) (i32.add (local.get $out) (i32.const 8)) (i32.add (local.get $out) (i32.const 12)))
        (local.set $ptrs (i32.add (local.get $ptrs) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $out) (local.get $end)))
        (f32.store (local.get $out) (call $distance (local.get $metric) (local.get $q) (local.get $qnorm) (i32.load (local.get $ptrs)) (local.get $n4)))
        (local.set $ptrs (i32.add (local.get $ptrs) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next1))))

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

  ;; Whether a top-k pass must look at distance x: not above the limit (NaN
  ;; and -inf included, as `!(x > limit)` in JavaScript) or +inf (a row the
  ;; kernel could not decide).
  (func $undecided (param $x f32) (param $limit f32) (result i32)
    (i32.or (i32.eqz (f32.gt (local.get $x) (local.get $limit))) (f32.eq (local.get $x) (f32.const inf))))

  ;; The positions i in [0, count) of the distances at `d` that $undecided
  ;; keeps, ascending, as i32 at `out`; returns how many. Four at a time: after
  ;; a scan nearly every distance is far above the limit, and one vector
  ;; compare passes over four of them (wasm/top-k.ts).
  (func (export "not_above") (param $d i32) (param $count i32) (param $limit f32) (param $out i32) (result i32)
    (local $i i32) (local $n i32) (local $end i32) (local $lanes i32) (local $lim v128) (local $inf v128) (local $v v128) (local $x f32)
    (local.set $lim (f32x4.splat (local.get $limit)))
    (local.set $inf (f32x4.splat (f32.const inf)))
    (local.set $end (i32.and (local.get $count) (i32.const -4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 2)))))
        (if (v128.any_true (v128.or (v128.not (f32x4.gt (local.get $v) (local.get $lim))) (f32x4.eq (local.get $v) (local.get $inf))))
          (then
            ;; one of the four is kept: look at each
            (local.set $lanes (i32.add (local.get $i) (i32.const 4)))
            (block $lanes_done
              (loop $lane
                (br_if $lanes_done (i32.ge_u (local.get $i) (local.get $lanes)))
                (local.set $x (f32.load (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 2)))))
                (if (call $undecided (local.get $x) (local.get $limit))
                  (then
                    (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $i))
                    (local.set $n (i32.add (local.get $n) (i32.const 1)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $lane))))
          (else (local.set $i (i32.add (local.get $i) (i32.const 4)))))
        (br $next)))
    ;; the count % 4 left
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $x (f32.load (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 2)))))
        (if (call $undecided (local.get $x) (local.get $limit))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $i))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next1)))
    (local.get $n))

  ;; The bandwidth floor: a SIMD sum over `bytes` bytes (a multiple of 64) at
  ;; `ptr`, the least work that still reads every byte a scan reads, in four
  ;; streams as scan_range reads.
  (func (export "sum_bytes") (param $ptr i32) (param $bytes i32) (result f32)
    (local $end i32) (local $far i32) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $far (i32.and (i32.shr_u (local.get $bytes) (i32.const 2)) (i32.const -64)))
    (local.set $end (i32.add (local.get $ptr) (local.get $far)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $ptr))))
        (local.set $a1 (f32x4.add (local.get $a1) (v128.load (i32.add (local.get $ptr) (local.get $far)))))
        (local.set $a2 (f32x4.add (local.get $a2) (v128.load (i32.add (local.get $ptr) (i32.shl (local.get $far) (i32.const 1))))))
        (local.set $a3 (f32x4.add (local.get $a3) (v128.load (i32.add (local.get $ptr) (i32.mul (local.get $far) (i32.const 3))))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $next)))
    ;; the lines left after the four quarters (at most three)
    (local.set $ptr (i32.add (local.get $ptr) (i32.mul (local.get $far) (i32.const 3))))
    (local.set $end (i32.add (local.get $end) (i32.sub (local.get $bytes) (local.get $far))))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $next1)))
    (call $hsum (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))))
)
