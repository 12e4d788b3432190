//go:build !purego

#include "textflag.h"

DATA requant512K<>+0x00(SB)/8, $0x0000000040000000 // 2^30 per int64 lane
DATA requant512K<>+0x08(SB)/4, $0x00000001         // int32 1
DATA requant512K<>+0x0c(SB)/4, $0x80000000         // int32 min
GLOBL requant512K<>(SB), RODATA|NOPTR, $16

// func requantAVX512(acc, add, mult *int32, shift *int, out *int8, n int, zp, lo, hi int32, rows, lda, ldo int)
//
// requantAVX2's arithmetic on 16 lanes: x = (acc+add) << max(s, 0); the
// doubling high multiply as (x*q + 2^30) >> 31 on the 64-bit products of
// the even and the odd lanes (K4 picks the odd ones), the one saturating
// case x == q == MinInt32 patched to MaxInt32; then the branch-free
// rounding shift of requantize32, zp and the clamp. Results go to acc, or
// narrowed to out when out is not nil: VPMOVSDB saturates to int8, exact
// because the clamp already keeps them in [lo, hi], inside int8.
// K1 masks the 16 int32 lanes (and the 16 bytes of the narrowed store),
// K2 and K3 the two halves of the 8-byte shifts; all ones but on the
// last, short step, the only one that stores through a mask (R10 = 1):
// masked stores and VPMOVSDB to memory cost several times a plain store
// on this kind of core (profiled on sww_int8).
// Rows repeat the arithmetic for rows rows of n channels, acc lda int32
// and out ldo bytes apart, with the same add, mult and shift: each step
// of 16 channels loads and derives those once (add Z16, left Z3, right
// Z4, q Z5 and its odd lanes Z8, the rounding mask Z17 and its half Z18,
// K7 the lanes where q is MinInt32), then runs every row (R11, R12: the
// row's acc and out; R13 rows left; BX lda in bytes).
TEXT ·requantAVX512(SB), NOSPLIT, $0-88
	MOVQ         acc+0(FP), DI
	MOVQ         add+8(FP), SI
	MOVQ         mult+16(FP), DX
	MOVQ         shift+24(FP), R8
	MOVQ         out+32(FP), R9
	MOVQ         n+40(FP), CX
	MOVQ         lda+72(FP), BX
	SHLQ         $2, BX
	MOVL         zp+48(FP), AX
	VPBROADCASTD AX, Z13
	MOVL         lo+52(FP), AX
	VPBROADCASTD AX, Z14
	MOVL         hi+56(FP), AX
	VPBROADCASTD AX, Z15
	VPBROADCASTQ requant512K<>+0x00(SB), Z12
	VPBROADCASTD requant512K<>+0x08(SB), Z11
	VPBROADCASTD requant512K<>+0x0c(SB), Z10
	VPXORD       Z9, Z9, Z9
	MOVL         $0xAAAA, AX
	KMOVW        AX, K4
	MOVL         $0xFFFF, AX
	KMOVW        AX, K1
	KMOVW        AX, K2
	KMOVW        AX, K3
	XORQ         R10, R10           // 1 on the last, masked step

rq16loop:
	CMPQ  CX, $16
	JAE   rq16step
	MOVL  $1, AX                    // last step: CX in 1..15 lanes
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1
	KMOVW AX, K2
	SHRL  $8, AX
	KMOVW AX, K3
	MOVQ  $16, CX
	MOVQ  $1, R10

rq16step:
	VMOVDQU32.Z  (SI), K1, Z16      // add
	VMOVDQU64.Z  (R8), K2, Z1
	VMOVDQU64.Z  64(R8), K3, Z2
	VPMOVQD      Z1, Y1
	VPMOVQD      Z2, Y2
	VINSERTI64X4 $1, Y2, Z1, Z1     // s
	VPMAXSD      Z9, Z1, Z3         // left = max(s, 0)
	VPSUBD       Z1, Z3, Z4         // right = left - s = max(-s, 0)
	VMOVDQU32.Z  (DX), K1, Z5       // q
	VPSHUFD      $0xF5, Z5, Z8
	VPCMPEQD     Z10, Z5, K7
	VPSLLVD      Z4, Z11, Z17
	VPSUBD       Z11, Z17, Z17      // mask = 1<<right - 1
	VPSRAD       $1, Z17, Z18       // mask >> 1
	MOVQ         DI, R11
	MOVQ         R9, R12
	MOVQ         rows+64(FP), R13

rqrow:
	VMOVDQU32.Z (R11), K1, Z0
	VPADDD      Z16, Z0, Z0         // x = acc + add
	VPSLLVD     Z3, Z0, Z0          // x << left
	VPMULDQ     Z5, Z0, Z6          // even lanes: x*q as int64
	VPSHUFD     $0xF5, Z0, Z7
	VPMULDQ     Z8, Z7, Z7          // odd lanes
	VPADDQ      Z12, Z6, Z6
	VPADDQ      Z12, Z7, Z7
	VPSRLQ      $31, Z6, Z6         // bits 31..62 into the low dword
	VPSLLQ      $1, Z7, Z7          // bits 31..62 into the high dword
	VPBLENDMD   Z7, Z6, K4, Z6      // h
	VPCMPEQD    Z10, Z0, K7, K6
	VPSUBD      Z11, Z6, K6, Z6     // x == q == MinInt32: MinInt32-1 = MaxInt32

	VPANDD  Z17, Z6, Z1             // rem
	VPSRLD  $31, Z6, Z2
	VPADDD  Z18, Z2, Z2             // threshold
	VPSUBD  Z1, Z2, Z2
	VPSRLD  $31, Z2, Z2             // 1 when rem > threshold
	VPSRAVD Z4, Z6, Z6              // h >> right
	VPADDD  Z2, Z6, Z6
	VPADDD  Z13, Z6, Z6             // + zp
	VPMAXSD Z14, Z6, Z6
	VPMINSD Z15, Z6, Z6
	TESTQ   R12, R12
	JNZ     rq16narrow
	TESTQ   R10, R10
	JNZ     rq16acctail
	VMOVDQU32 Z6, (R11)
	JMP     rq16rownext

rq16acctail:
	VMOVDQU32 Z6, K1, (R11)
	JMP       rq16rownext

rq16narrow:
	VPMOVSDB Z6, X6
	TESTQ    R10, R10
	JNZ      rq16tail
	VMOVDQU  X6, (R12)
	JMP      rq16outnext

rq16tail:
	VMOVDQU8 X6, K1, (R12)

rq16outnext:
	ADDQ ldo+80(FP), R12

rq16rownext:
	ADDQ BX, R11
	DECQ R13
	JNZ  rqrow

	ADDQ  $64, DI
	ADDQ  $64, SI
	ADDQ  $64, DX
	ADDQ  $128, R8
	TESTQ R9, R9
	JZ    rq16next
	ADDQ  $16, R9

rq16next:
	SUBQ $16, CX
	JNZ  rq16loop
	VZEROUPPER
	RET
