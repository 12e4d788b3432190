//go:build !purego

#include "textflag.h"

// Dword indices for VPERMD: lane 4q+j takes dword q (depths 4q..4q+3) of
// the 16 activation bytes, for the four channels j of a block.
DATA quadIdx<>+0x00(SB)/8, $0x0000000000000000
DATA quadIdx<>+0x08(SB)/8, $0x0000000000000000
DATA quadIdx<>+0x10(SB)/8, $0x0000000100000001
DATA quadIdx<>+0x18(SB)/8, $0x0000000100000001
DATA quadIdx<>+0x20(SB)/8, $0x0000000200000002
DATA quadIdx<>+0x28(SB)/8, $0x0000000200000002
DATA quadIdx<>+0x30(SB)/8, $0x0000000300000003
DATA quadIdx<>+0x38(SB)/8, $0x0000000300000003
GLOBL quadIdx<>(SB), RODATA|NOPTR, $64

DATA onesB<>+0x00(SB)/4, $0x01010101
GLOBL onesB<>(SB), RODATA|NOPTR, $4

// Reduce the four 128-bit lanes of an accumulator into its low lane.
#define FOLD(z, y, x, ty, tx) \
	VEXTRACTI64X4 $1, z, ty; \
	VPADDD        ty, y, y;  \
	VEXTRACTI128  $1, y, tx; \
	VPADDD        tx, x, x

// func gemmI8VNNI(a, wp *int8, acc *int32, n, q, k, blocks int)
//
// VPDPBUSD multiplies unsigned by signed bytes and adds each group of four
// products into an int32 lane. The weights were packed with 128 added
// (quadruples of depth per channel, packRowsI8On), so each lane sums
// a*(w+128); subtracting 128*sum(a) at the end leaves sum(a*w) modulo
// 2^32, the wrapping int32 sum of the portable loop. Per block: n steps of
// 16 depths on ZMM (lane 4q+j = quad q of channel j), folded to 4 lanes,
// then q steps of 4 depths on XMM. Four blocks share each activation
// permute; leftover blocks go one at a time.
TEXT ·gemmI8VNNI(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ wp+8(FP), DI
	MOVQ acc+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ q+32(FP), R14
	MOVQ k+40(FP), R8
	SHLQ $2, R8                     // bytes per block
	LEAQ (R8)(R8*2), BX             // three blocks
	MOVQ blocks+48(FP), R9
	VMOVDQU64    quadIdx<>(SB), Z13
	VPBROADCASTD onesB<>(SB), X15

	// X14 = 128 * sum(a[:16n+4q]) in every lane.
	VPXOR X14, X14, X14
	MOVQ  SI, R10
	MOVQ  CX, R12
	TESTQ R12, R12
	JZ    sumquads

sum16:
	VMOVDQU  (R10), X2
	VPDPBUSD X2, X15, X14
	ADDQ     $16, R10
	DECQ     R12
	JNZ      sum16

sumquads:
	MOVQ  R14, R12
	TESTQ R12, R12
	JZ    sumdone

sum4:
	VMOVD    (R10), X2
	VPDPBUSD X2, X15, X14
	ADDQ     $4, R10
	DECQ     R12
	JNZ      sum4

sumdone:
	VPSHUFD $0x4E, X14, X2
	VPADDD  X2, X14, X14
	VPSHUFD $0xB1, X14, X2
	VPADDD  X2, X14, X14
	VPSLLD  $7, X14, X14

four:
	CMPQ  R9, $4
	JLT   one
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ  SI, R10
	MOVQ  DI, R11
	MOVQ  CX, R12
	TESTQ R12, R12
	JZ    fourfold

fourstep:
	VMOVDQU   (R10), X4
	VPERMD    Z4, Z13, Z4
	VMOVDQU64 (R11), Z5
	VPDPBUSD  Z4, Z5, Z0
	VMOVDQU64 (R11)(R8*1), Z6
	VPDPBUSD  Z4, Z6, Z1
	VMOVDQU64 (R11)(R8*2), Z7
	VPDPBUSD  Z4, Z7, Z2
	VMOVDQU64 (R11)(BX*1), Z8
	VPDPBUSD  Z4, Z8, Z3
	ADDQ      $16, R10
	ADDQ      $64, R11
	DECQ      R12
	JNZ       fourstep

fourfold:
	FOLD(Z0, Y0, X0, Y9, X9)
	FOLD(Z1, Y1, X1, Y9, X9)
	FOLD(Z2, Y2, X2, Y9, X9)
	FOLD(Z3, Y3, X3, Y9, X9)
	MOVQ  R14, R12
	TESTQ R12, R12
	JZ    fourdone

fourquad:
	VPBROADCASTD (R10), X4
	VMOVDQU      (R11), X5
	VPDPBUSD     X4, X5, X0
	VMOVDQU      (R11)(R8*1), X6
	VPDPBUSD     X4, X6, X1
	VMOVDQU      (R11)(R8*2), X7
	VPDPBUSD     X4, X7, X2
	VMOVDQU      (R11)(BX*1), X8
	VPDPBUSD     X4, X8, X3
	ADDQ         $4, R10
	ADDQ         $16, R11
	DECQ         R12
	JNZ          fourquad

fourdone:
	VPSUBD  X14, X0, X0
	VPSUBD  X14, X1, X1
	VPSUBD  X14, X2, X2
	VPSUBD  X14, X3, X3
	VMOVDQU X0, (DX)
	VMOVDQU X1, 16(DX)
	VMOVDQU X2, 32(DX)
	VMOVDQU X3, 48(DX)
	ADDQ    $64, DX
	LEAQ    (DI)(R8*4), DI
	SUBQ    $4, R9
	JMP     four

one:
	TESTQ  R9, R9
	JZ     done
	VPXORD Z0, Z0, Z0
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12
	TESTQ  R12, R12
	JZ     onefold

onestep:
	VMOVDQU   (R10), X4
	VPERMD    Z4, Z13, Z4
	VMOVDQU64 (R11), Z5
	VPDPBUSD  Z4, Z5, Z0
	ADDQ      $16, R10
	ADDQ      $64, R11
	DECQ      R12
	JNZ       onestep

onefold:
	FOLD(Z0, Y0, X0, Y9, X9)
	MOVQ  R14, R12
	TESTQ R12, R12
	JZ    onedone

onequad:
	VPBROADCASTD (R10), X4
	VMOVDQU      (R11), X5
	VPDPBUSD     X4, X5, X0
	ADDQ         $4, R10
	ADDQ         $16, R11
	DECQ         R12
	JNZ          onequad

onedone:
	VPSUBD  X14, X0, X0
	VMOVDQU X0, (DX)
	ADDQ    $16, DX
	ADDQ    R8, DI
	DECQ    R9
	JMP     one

done:
	VZEROUPPER
	RET

DATA requant512K<>+0x00(SB)/8, $0x0000000040000000 // 2^30 per int64 lane
DATA requant512K<>+0x08(SB)/4, $0x00000001         // int32 1
DATA requant512K<>+0x0c(SB)/4, $0x80000000         // int32 min
GLOBL requant512K<>(SB), RODATA|NOPTR, $16

// func requantAVX512(acc, add, mult *int32, shift *int, out *int8, n int, zp, lo, hi int32)
//
// requantAVX2 on 16 channels per step (n steps): the same arithmetic on
// ZMM, with mask registers for the odd-lane blend and the one saturating
// product, and VPMOVDB narrowing (exact: the clamp keeps int8 values).
TEXT ·requantAVX512(SB), NOSPLIT, $0-60
	VPBROADCASTQ requant512K<>+0x00(SB), Z12
	VPBROADCASTD requant512K<>+0x08(SB), Z11
	VPBROADCASTD requant512K<>+0x0c(SB), Z10
	MOVQ         acc+0(FP), DI
	MOVQ         add+8(FP), SI
	MOVQ         mult+16(FP), DX
	MOVQ         shift+24(FP), R8
	MOVQ         out+32(FP), R9
	MOVQ         n+40(FP), CX
	MOVL         zp+48(FP), AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Z13
	MOVL         lo+52(FP), AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Z14
	MOVL         hi+56(FP), AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Z15
	VPXORD       Z9, Z9, Z9
	MOVW         $0xAAAA, AX
	KMOVW        AX, K1              // odd lanes

rq16step:
	VMOVDQU32    (DI), Z0
	VPADDD       (SI), Z0, Z0        // x = acc + add
	VMOVDQU64    (R8), Z1            // shifts 0..7 (int64)
	VPMOVQD      Z1, Y1
	VMOVDQU64    64(R8), Z2          // shifts 8..15
	VPMOVQD      Z2, Y2
	VINSERTI64X4 $1, Y2, Z1, Z1
	VPMAXSD      Z9, Z1, Z3          // left = max(s, 0)
	VPSUBD       Z1, Z9, Z4
	VPMAXSD      Z9, Z4, Z4          // right = max(-s, 0)
	VPSLLVD      Z3, Z0, Z0          // x << left

	VMOVDQU32    (DX), Z5            // q
	VPMULDQ      Z5, Z0, Z6          // even lanes: x*q as int64
	VPSRLQ       $32, Z0, Z7
	VPSRLQ       $32, Z5, Z8
	VPMULDQ      Z8, Z7, Z7          // odd lanes
	VPADDQ       Z12, Z6, Z6
	VPADDQ       Z12, Z7, Z7
	VPSRLQ       $31, Z6, Z6
	VPSLLQ       $1, Z7, Z7
	VPBLENDMD    Z7, Z6, K1, Z6      // h
	VPCMPEQD     Z10, Z0, K2
	VPCMPEQD     Z10, Z5, K3
	KANDW        K2, K3, K2
	VPSUBD       Z11, Z6, K2, Z6     // x == q == MinInt32: MinInt32-1 = MaxInt32

	VPSLLVD      Z4, Z11, Z8
	VPSUBD       Z11, Z8, Z8         // mask = 1<<right - 1
	VPANDD       Z8, Z6, Z3          // rem
	VPSRAD       $1, Z8, Z8
	VPSRLD       $31, Z6, Z5
	VPADDD       Z5, Z8, Z8          // threshold
	VPSUBD       Z3, Z8, Z8
	VPSRLD       $31, Z8, Z8         // 1 when rem > threshold
	VPSRAVD      Z4, Z6, Z6          // h >> right
	VPADDD       Z8, Z6, Z6
	VPADDD       Z13, Z6, Z6         // + zp
	VPMAXSD      Z14, Z6, Z6
	VPMINSD      Z15, Z6, Z6
	TESTQ        R9, R9
	JNZ          rq16narrow
	VMOVDQU32    Z6, (DI)
	JMP          rq16next

rq16narrow:
	VPMOVDB Z6, (R9)
	ADDQ    $16, R9

rq16next:
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $128, R8
	DECQ CX
	JNZ  rq16step
	VZEROUPPER
	RET
