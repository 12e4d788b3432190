//go:build !purego

#include "textflag.h"

// Dword indices for VPERMD/VPERMPS: broadcast element 2p to the low and
// 2p+1 to the high 128-bit lane (p = 0..3).
DATA permPairs<>+0x00(SB)/8, $0x0000000000000000
DATA permPairs<>+0x08(SB)/8, $0x0000000000000000
DATA permPairs<>+0x10(SB)/8, $0x0000000100000001
DATA permPairs<>+0x18(SB)/8, $0x0000000100000001
DATA permPairs<>+0x20(SB)/8, $0x0000000200000002
DATA permPairs<>+0x28(SB)/8, $0x0000000200000002
DATA permPairs<>+0x30(SB)/8, $0x0000000300000003
DATA permPairs<>+0x38(SB)/8, $0x0000000300000003
DATA permPairs<>+0x40(SB)/8, $0x0000000400000004
DATA permPairs<>+0x48(SB)/8, $0x0000000400000004
DATA permPairs<>+0x50(SB)/8, $0x0000000500000005
DATA permPairs<>+0x58(SB)/8, $0x0000000500000005
DATA permPairs<>+0x60(SB)/8, $0x0000000600000006
DATA permPairs<>+0x68(SB)/8, $0x0000000600000006
DATA permPairs<>+0x70(SB)/8, $0x0000000700000007
DATA permPairs<>+0x78(SB)/8, $0x0000000700000007
GLOBL permPairs<>(SB), RODATA|NOPTR, $128

// func gemmI8AVX2(a, wp *int8, acc *int32, n, k, blocks int)
//
// Per step of 16 depths: the activations widen to 16 int16 (8 pairs), each
// pair is broadcast (VPERMD) against 16 widened weights (2 pairs x 4
// channels) and VPMADDWD adds each pair's two products into an int32 lane.
// Products of int8 fit int16*int16 -> int32 exactly, so the sums wrap
// exactly like the portable int32 loop. Two blocks share each broadcast;
// a last half step takes depths 16n..16n+7 when k&8 is set.
TEXT ·gemmI8AVX2(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), SI
	MOVQ wp+8(FP), DI
	MOVQ acc+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ k+32(FP), R14
	MOVQ R14, R8
	SHLQ $2, R8                     // bytes per block
	MOVQ blocks+40(FP), R9
	VMOVDQU permPairs<>+0x00(SB), Y12
	VMOVDQU permPairs<>+0x20(SB), Y13
	VMOVDQU permPairs<>+0x40(SB), Y14
	VMOVDQU permPairs<>+0x60(SB), Y15

i8pair:
	CMPQ  R9, $2
	JLT   i8single
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	MOVQ  SI, R10
	MOVQ  DI, R11
	LEAQ  (DI)(R8*1), R13           // the second block
	MOVQ  CX, R12
	TESTQ R12, R12
	JZ    i8pairhalf

i8pairstep:
	VPMOVSXBW (R10), Y2             // a[0:16] as int16
	VPERMD    Y2, Y12, Y3
	VPMOVSXBW 0(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPMOVSXBW 0(R13), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y8, Y8
	VPERMD    Y2, Y13, Y3
	VPMOVSXBW 16(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y1, Y1
	VPMOVSXBW 16(R13), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y9, Y9
	VPERMD    Y2, Y14, Y3
	VPMOVSXBW 32(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPMOVSXBW 32(R13), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y8, Y8
	VPERMD    Y2, Y15, Y3
	VPMOVSXBW 48(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y1, Y1
	VPMOVSXBW 48(R13), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y9, Y9
	ADDQ      $16, R10
	ADDQ      $64, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       i8pairstep

i8pairhalf:
	TESTQ     $8, R14
	JZ        i8pairdone
	VPMOVSXBW (R10), X2             // a[0:8] as int16
	VPERMD    Y2, Y12, Y3
	VPMOVSXBW 0(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPMOVSXBW 0(R13), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y8, Y8
	VPERMD    Y2, Y13, Y3
	VPMOVSXBW 16(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y1, Y1
	VPMOVSXBW 16(R13), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y9, Y9

i8pairdone:
	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VMOVDQU      X0, (DX)
	VPADDD       Y9, Y8, Y8
	VEXTRACTI128 $1, Y8, X9
	VPADDD       X9, X8, X8
	VMOVDQU      X8, 16(DX)
	ADDQ         $32, DX
	LEAQ         (DI)(R8*2), DI
	SUBQ         $2, R9
	JMP          i8pair

i8single:
	TESTQ R9, R9
	JZ    i8done
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	MOVQ  SI, R10
	MOVQ  DI, R11
	MOVQ  CX, R12
	TESTQ R12, R12
	JZ    i8singlehalf

i8singlestep:
	VPMOVSXBW (R10), Y2
	VPERMD    Y2, Y12, Y3
	VPMOVSXBW 0(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPERMD    Y2, Y13, Y3
	VPMOVSXBW 16(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y1, Y1
	VPERMD    Y2, Y14, Y3
	VPMOVSXBW 32(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPERMD    Y2, Y15, Y3
	VPMOVSXBW 48(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y1, Y1
	ADDQ      $16, R10
	ADDQ      $64, R11
	DECQ      R12
	JNZ       i8singlestep

i8singlehalf:
	TESTQ     $8, R14
	JZ        i8singledone
	VPMOVSXBW (R10), X2
	VPERMD    Y2, Y12, Y3
	VPMOVSXBW 0(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPERMD    Y2, Y13, Y3
	VPMOVSXBW 16(R11), Y4
	VPMADDWD  Y4, Y3, Y4
	VPADDD    Y4, Y1, Y1

i8singledone:
	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VMOVDQU      X0, (DX)

i8done:
	VZEROUPPER
	RET

// func gemmF32AVX2(a, wp, acc *float32, n, k, blocks int)
//
// Per step of 8 depths: each depth pair is broadcast (VPERMPS) against 8
// weights (2 depths x 4 channels) and fused-multiply-added into one of
// four accumulators, summed at the end of the block.
TEXT ·gemmF32AVX2(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), SI
	MOVQ wp+8(FP), DI
	MOVQ acc+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ k+32(FP), R8
	SHLQ $4, R8                     // bytes per block
	MOVQ blocks+40(FP), R9
	VMOVDQU permPairs<>+0x00(SB), Y12
	VMOVDQU permPairs<>+0x20(SB), Y13
	VMOVDQU permPairs<>+0x40(SB), Y14
	VMOVDQU permPairs<>+0x60(SB), Y15

f32block:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12

f32step:
	VMOVUPS     (R10), Y4
	VPERMPS     Y4, Y12, Y5
	VFMADD231PS (R11), Y5, Y0
	VPERMPS     Y4, Y13, Y6
	VFMADD231PS 32(R11), Y6, Y1
	VPERMPS     Y4, Y14, Y7
	VFMADD231PS 64(R11), Y7, Y2
	VPERMPS     Y4, Y15, Y8
	VFMADD231PS 96(R11), Y8, Y3
	ADDQ        $32, R10
	ADDQ        $128, R11
	DECQ        R12
	JNZ         f32step

	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVUPS      X0, (DX)
	ADDQ         $16, DX
	ADDQ         R8, DI
	DECQ         R9
	JNZ          f32block
	VZEROUPPER
	RET

// func dwI8AVX2(acc *int32, x, f *int8, n int, xo int32)
//
// 16 channels per step: x+xo and f widen to int16, and their product is
// exact in 16 bits (|x+xo| <= 255, |f| <= 128), then widens to int32.
TEXT ·dwI8AVX2(SB), NOSPLIT, $0-36
	MOVQ         acc+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         f+16(FP), DX
	MOVQ         n+24(FP), CX
	MOVL         xo+32(FP), AX
	VMOVD        AX, X15
	VPBROADCASTW X15, Y15

dwi8step:
	VPMOVSXBW    (SI), Y0
	VPADDW       Y15, Y0, Y0
	VPMOVSXBW    (DX), Y1
	VPMULLW      Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMOVSXWD    X0, Y0
	VPMOVSXWD    X1, Y1
	VPADDD       (DI), Y0, Y0
	VPADDD       32(DI), Y1, Y1
	VMOVDQU      Y0, (DI)
	VMOVDQU      Y1, 32(DI)
	ADDQ         $16, SI
	ADDQ         $16, DX
	ADDQ         $64, DI
	DECQ         CX
	JNZ          dwi8step
	VZEROUPPER
	RET

DATA requantK<>+0x00(SB)/8, $0x0000000040000000 // 2^30 per int64 lane
DATA requantK<>+0x08(SB)/4, $0x00000001         // int32 1
DATA requantK<>+0x0c(SB)/4, $0x80000000         // int32 min
GLOBL requantK<>(SB), RODATA|NOPTR, $16

// func requantAVX2(acc, add, mult *int32, shift *int, out *int8, n int, zp, lo, hi int32)
//
// requantize32 on 8 channels per step (n steps), the result clamped into
// acc, or narrowed into out when out is not nil (the clamp keeps the
// values in int8, so the saturating packs are exact). The doubling high multiply is (x*q + 2^30) >> 31 on 64-bit
// products (equal to the reference's sign-dependent nudge followed by a
// truncating division, for every sign), its one saturating case is
// patched, and the rounding shift is the branch-free form of
// requantize32.
TEXT ·requantAVX2(SB), NOSPLIT, $0-60
	MOVQ         acc+0(FP), DI
	MOVQ         add+8(FP), SI
	MOVQ         mult+16(FP), DX
	MOVQ         shift+24(FP), R8
	MOVQ         out+32(FP), R9
	MOVQ         n+40(FP), CX
	MOVL         zp+48(FP), AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13
	MOVL         lo+52(FP), AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	MOVL         hi+56(FP), AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	VPBROADCASTQ requantK<>+0x00(SB), Y12
	VPBROADCASTD requantK<>+0x08(SB), Y11
	VPBROADCASTD requantK<>+0x0c(SB), Y10
	VPXOR        Y9, Y9, Y9

rqstep:
	VMOVDQU  (DI), Y0
	VPADDD   (SI), Y0, Y0           // x = acc + add
	VMOVDQU  (R8), Y1               // shifts 0..3 (int64)
	VMOVDQU  32(R8), Y2             // shifts 4..7
	VSHUFPS  $0x88, Y2, Y1, Y1      // low dwords: s0 s1 s4 s5 | s2 s3 s6 s7
	VPERMQ   $0xD8, Y1, Y1          // s0 .. s7
	VPMAXSD  Y9, Y1, Y3             // left = max(s, 0)
	VPSUBD   Y1, Y9, Y4
	VPMAXSD  Y9, Y4, Y4             // right = max(-s, 0)
	VPSLLVD  Y3, Y0, Y0             // x << left (0 from 32 on, as Go)

	VMOVDQU  (DX), Y5               // q
	VPMULDQ  Y5, Y0, Y6             // even lanes: x*q as int64
	VPSRLQ   $32, Y0, Y7
	VPSRLQ   $32, Y5, Y8
	VPMULDQ  Y8, Y7, Y7             // odd lanes
	VPADDQ   Y12, Y6, Y6
	VPADDQ   Y12, Y7, Y7
	VPSRLQ   $31, Y6, Y6            // bits 31..62 into the low dword
	VPSLLQ   $1, Y7, Y7             // bits 31..62 into the high dword
	VPBLENDD $0xAA, Y7, Y6, Y6      // h
	VPCMPEQD Y10, Y0, Y7
	VPCMPEQD Y10, Y5, Y8
	VPAND    Y8, Y7, Y7
	VPADDD   Y7, Y6, Y6             // x == q == MinInt32: MinInt32-1 = MaxInt32

	VPSLLVD  Y4, Y11, Y8
	VPSUBD   Y11, Y8, Y8            // mask = 1<<right - 1
	VPAND    Y8, Y6, Y3             // rem
	VPSRAD   $1, Y8, Y8
	VPSRLD   $31, Y6, Y5
	VPADDD   Y5, Y8, Y8             // threshold
	VPSUBD   Y3, Y8, Y8
	VPSRLD   $31, Y8, Y8            // 1 when rem > threshold
	VPSRAVD  Y4, Y6, Y6             // h >> right
	VPADDD   Y8, Y6, Y6
	VPADDD   Y13, Y6, Y6            // + zp
	VPMAXSD  Y14, Y6, Y6
	VPMINSD  Y15, Y6, Y6
	TESTQ    R9, R9
	JNZ      rqnarrow
	VMOVDQU  Y6, (DI)
	JMP      rqnext

rqnarrow:
	VEXTRACTI128 $1, Y6, X7
	VPACKSSDW    X7, X6, X6
	VPACKSSWB    X6, X6, X6
	VMOVQ        X6, (R9)
	ADDQ         $8, R9

rqnext:
	ADDQ     $32, DI
	ADDQ     $32, SI
	ADDQ     $32, DX
	ADDQ     $64, R8
	DECQ     CX
	JNZ      rqstep
	VZEROUPPER
	RET
