//go:build !purego

#include "textflag.h"

// func biasActAVX2(out, acc, bias *float32, n int, lo, hi float32)
//
// VMAXPS/VMINPS return their second source when either input is NaN or
// both are zeros; Go's max/min propagate NaN and order -0 < +0. So each
// clamp takes both operand orders: m1 (x on NaN/zeros) and m2 (the bound
// on NaN/zeros). For max, m1 AND m2 is +0 when either zero is +0 and the
// common value otherwise; NaN lanes keep m1 by OR-ing the NaN mask into m2
// first. For min, m1 OR m2 (with m2 cleared on NaN lanes) is -0 when
// either zero is -0. Go operand order: VMAXPS src2, src1, dst.
TEXT ·biasActAVX2(SB), NOSPLIT, $0-40
	MOVQ         out+0(FP), DI
	MOVQ         acc+8(FP), SI
	MOVQ         bias+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS lo+32(FP), Y14
	VBROADCASTSS hi+36(FP), Y15

bastep:
	VMOVUPS (SI), Y0
	TESTQ   DX, DX
	JZ      baclamp
	VADDPS  (DX), Y0, Y0
	ADDQ    $32, DX

baclamp:
	VCMPPS  $3, Y0, Y0, Y3          // NaN lanes (unordered)
	VMAXPS  Y0, Y14, Y1             // max(src1 lo, src2 x): x on NaN/zeros
	VMAXPS  Y14, Y0, Y2             // lo on NaN/zeros
	VORPS   Y3, Y2, Y2
	VANDPS  Y2, Y1, Y1              // y = Go max(x, lo)
	VMINPS  Y1, Y15, Y4             // y on NaN/zeros
	VMINPS  Y15, Y1, Y5             // hi on NaN/zeros
	VANDNPS Y5, Y3, Y5              // hi-side result cleared on NaN lanes
	VORPS   Y5, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     bastep
	VZEROUPPER
	RET

// func gemm4F32AVX2(a *float32, lda int, wp, acc *float32, ldc, kk, bstride, blocks int, add bool)
//
// Per depth i: the weights of four blocks (16 channels) at depth i load as
// two YMM (block pairs), each row's a[i] is broadcast, and 8 FMAs update 8
// accumulators (4 rows x 2 block pairs); the accumulators are the output
// channels in order, stored (or, with add, added to acc) without a
// horizontal sum. Leftover blocks go two, then one, at a time.
TEXT ·gemm4F32AVX2(SB), NOSPLIT, $0-65
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R15
	SHLQ $2, R15                    // row stride in bytes
	LEAQ (R15)(R15*2), AX           // three rows
	MOVQ wp+16(FP), DI
	MOVQ acc+24(FP), DX
	MOVQ ldc+32(FP), R13
	SHLQ $2, R13
	MOVQ kk+40(FP), CX
	MOVQ bstride+48(FP), R8
	SHLQ $2, R8                     // bytes per block
	LEAQ (R8)(R8*2), BX             // three blocks
	MOVQ blocks+56(FP), R9

f4four:
	CMPQ   R9, $4
	JLT    f4two
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12

f4fourstep:
	VMOVUPS      (R11), X8
	VINSERTF128  $1, (R11)(R8*1), Y8, Y8
	VMOVUPS      (R11)(R8*2), X9
	VINSERTF128  $1, (R11)(BX*1), Y9, Y9
	VBROADCASTSS (R10), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (R10)(R15*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (R10)(R15*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (R10)(AX*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         $4, R10
	ADDQ         $16, R11
	DECQ         R12
	JNZ          f4fourstep

	LEAQ    (DX)(R13*2), R12
	CMPB    add+64(FP), $0
	JEQ     f4fourstore
	VADDPS  (DX), Y0, Y0
	VADDPS  32(DX), Y1, Y1
	VADDPS  (DX)(R13*1), Y2, Y2
	VADDPS  32(DX)(R13*1), Y3, Y3
	VADDPS  (R12), Y4, Y4
	VADDPS  32(R12), Y5, Y5
	VADDPS  (R12)(R13*1), Y6, Y6
	VADDPS  32(R12)(R13*1), Y7, Y7

f4fourstore:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, (DX)(R13*1)
	VMOVUPS Y3, 32(DX)(R13*1)
	VMOVUPS Y4, (R12)
	VMOVUPS Y5, 32(R12)
	VMOVUPS Y6, (R12)(R13*1)
	VMOVUPS Y7, 32(R12)(R13*1)
	ADDQ    $64, DX
	LEAQ    (DI)(R8*4), DI
	SUBQ    $4, R9
	JMP     f4four

f4two:
	CMPQ   R9, $2
	JLT    f4one
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12

f4twostep:
	VMOVUPS      (R11), X8
	VINSERTF128  $1, (R11)(R8*1), Y8, Y8
	VBROADCASTSS (R10), Y10
	VFMADD231PS  Y8, Y10, Y0
	VBROADCASTSS (R10)(R15*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VBROADCASTSS (R10)(R15*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VBROADCASTSS (R10)(AX*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	ADDQ         $4, R10
	ADDQ         $16, R11
	DECQ         R12
	JNZ          f4twostep

	LEAQ    (DX)(R13*2), R12
	CMPB    add+64(FP), $0
	JEQ     f4twostore
	VADDPS  (DX), Y0, Y0
	VADDPS  (DX)(R13*1), Y2, Y2
	VADDPS  (R12), Y4, Y4
	VADDPS  (R12)(R13*1), Y6, Y6

f4twostore:
	VMOVUPS Y0, (DX)
	VMOVUPS Y2, (DX)(R13*1)
	VMOVUPS Y4, (R12)
	VMOVUPS Y6, (R12)(R13*1)
	ADDQ    $32, DX
	LEAQ    (DI)(R8*2), DI
	SUBQ    $2, R9

f4one:
	TESTQ  R9, R9
	JZ     f4done
	VXORPS X0, X0, X0
	VXORPS X2, X2, X2
	VXORPS X4, X4, X4
	VXORPS X6, X6, X6
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12

f4onestep:
	VMOVUPS      (R11), X8
	VBROADCASTSS (R10), X10
	VFMADD231PS  X8, X10, X0
	VBROADCASTSS (R10)(R15*1), X11
	VFMADD231PS  X8, X11, X2
	VBROADCASTSS (R10)(R15*2), X12
	VFMADD231PS  X8, X12, X4
	VBROADCASTSS (R10)(AX*1), X13
	VFMADD231PS  X8, X13, X6
	ADDQ         $4, R10
	ADDQ         $16, R11
	DECQ         R12
	JNZ          f4onestep

	LEAQ    (DX)(R13*2), R12
	CMPB    add+64(FP), $0
	JEQ     f4onestore
	VADDPS  (DX), X0, X0
	VADDPS  (DX)(R13*1), X2, X2
	VADDPS  (R12), X4, X4
	VADDPS  (R12)(R13*1), X6, X6

f4onestore:
	VMOVUPS X0, (DX)
	VMOVUPS X2, (DX)(R13*1)
	VMOVUPS X4, (R12)
	VMOVUPS X6, (R12)(R13*1)

f4done:
	VZEROUPPER
	RET
