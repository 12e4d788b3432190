//go:build !purego

#include "textflag.h"

// Dword indices for VPERMD: broadcast depth pair 2p to the low and 2p+1 to
// the high 128-bit lane (p = 0..3).
DATA pairs16<>+0x00(SB)/8, $0x0000000000000000
DATA pairs16<>+0x08(SB)/8, $0x0000000000000000
DATA pairs16<>+0x10(SB)/8, $0x0000000100000001
DATA pairs16<>+0x18(SB)/8, $0x0000000100000001
DATA pairs16<>+0x20(SB)/8, $0x0000000200000002
DATA pairs16<>+0x28(SB)/8, $0x0000000200000002
DATA pairs16<>+0x30(SB)/8, $0x0000000300000003
DATA pairs16<>+0x38(SB)/8, $0x0000000300000003
DATA pairs16<>+0x40(SB)/8, $0x0000000400000004
DATA pairs16<>+0x48(SB)/8, $0x0000000400000004
DATA pairs16<>+0x50(SB)/8, $0x0000000500000005
DATA pairs16<>+0x58(SB)/8, $0x0000000500000005
DATA pairs16<>+0x60(SB)/8, $0x0000000600000006
DATA pairs16<>+0x68(SB)/8, $0x0000000600000006
DATA pairs16<>+0x70(SB)/8, $0x0000000700000007
DATA pairs16<>+0x78(SB)/8, $0x0000000700000007
GLOBL pairs16<>(SB), RODATA|NOPTR, $128

// func gemm16x8AVX2(a *int16, wp *int8, acc *int64, n, k, blocks int)
//
// Per step of 16 depths: each of the 8 activation pairs is broadcast
// (VPERMD, two pairs per register) against 16 weights (2 pairs x 4
// channels, widened from int8 by VPMOVSXBW) and VPMADDWD adds each pair's
// two products into an int32 lane; two blocks share each broadcast. At
// the end of a block the lanes fold to one int32 per channel, which widens
// (VPMOVSXDQ) and adds to acc.
TEXT ·gemm16x8AVX2(SB), NOSPLIT, $0-48
	MOVQ    a+0(FP), SI
	MOVQ    wp+8(FP), DI
	MOVQ    acc+16(FP), DX
	MOVQ    n+24(FP), CX
	MOVQ    k+32(FP), R8
	SHLQ    $2, R8 // bytes per block
	MOVQ    blocks+40(FP), R9
	VMOVDQU pairs16<>+0x00(SB), Y12
	VMOVDQU pairs16<>+0x20(SB), Y13
	VMOVDQU pairs16<>+0x40(SB), Y14
	VMOVDQU pairs16<>+0x60(SB), Y15

w8pair:
	CMPQ  R9, $2
	JLT   w8single
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	MOVQ  SI, R10
	MOVQ  DI, R11
	LEAQ  (DI)(R8*1), R13 // the second block
	MOVQ  CX, R12

w8pairstep:
	VMOVDQU   (R10), Y2 // a[0:16]
	VPERMD    Y2, Y12, Y3
	VPMOVSXBW 0(R11), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPMOVSXBW 0(R13), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y8, Y8
	VPERMD    Y2, Y13, Y3
	VPMOVSXBW 16(R11), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y1, Y1
	VPMOVSXBW 16(R13), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y9, Y9
	VPERMD    Y2, Y14, Y3
	VPMOVSXBW 32(R11), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPMOVSXBW 32(R13), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y8, Y8
	VPERMD    Y2, Y15, Y3
	VPMOVSXBW 48(R11), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y1, Y1
	VPMOVSXBW 48(R13), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y9, Y9
	ADDQ      $32, R10
	ADDQ      $64, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       w8pairstep

	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPMOVSXDQ    X0, Y0
	VPADDQ       (DX), Y0, Y0
	VMOVDQU      Y0, (DX)
	VPADDD       Y9, Y8, Y8
	VEXTRACTI128 $1, Y8, X9
	VPADDD       X9, X8, X8
	VPMOVSXDQ    X8, Y8
	VPADDQ       32(DX), Y8, Y8
	VMOVDQU      Y8, 32(DX)
	ADDQ         $64, DX
	LEAQ         (DI)(R8*2), DI
	SUBQ         $2, R9
	JMP          w8pair

w8single:
	TESTQ R9, R9
	JZ    w8done
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	MOVQ  SI, R10
	MOVQ  DI, R11
	MOVQ  CX, R12

w8singlestep:
	VMOVDQU   (R10), Y2
	VPERMD    Y2, Y12, Y3
	VPMOVSXBW 0(R11), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPERMD    Y2, Y13, Y3
	VPMOVSXBW 16(R11), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y1, Y1
	VPERMD    Y2, Y14, Y3
	VPMOVSXBW 32(R11), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y0, Y0
	VPERMD    Y2, Y15, Y3
	VPMOVSXBW 48(R11), Y5
	VPMADDWD  Y5, Y3, Y4
	VPADDD    Y4, Y1, Y1
	ADDQ      $32, R10
	ADDQ      $64, R11
	DECQ      R12
	JNZ       w8singlestep

	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPMOVSXDQ    X0, Y0
	VPADDQ       (DX), Y0, Y0
	VMOVDQU      Y0, (DX)

w8done:
	VZEROUPPER
	RET

// func gemm16x16AVX2(a, wp *int16, acc *int64, n, k, blocks int)
//
// gemm16x8AVX2 for int16 weights, read by VPMADDWD straight from memory.
TEXT ·gemm16x16AVX2(SB), NOSPLIT, $0-48
	MOVQ    a+0(FP), SI
	MOVQ    wp+8(FP), DI
	MOVQ    acc+16(FP), DX
	MOVQ    n+24(FP), CX
	MOVQ    k+32(FP), R8
	SHLQ    $3, R8 // bytes per block
	MOVQ    blocks+40(FP), R9
	VMOVDQU pairs16<>+0x00(SB), Y12
	VMOVDQU pairs16<>+0x20(SB), Y13
	VMOVDQU pairs16<>+0x40(SB), Y14
	VMOVDQU pairs16<>+0x60(SB), Y15

w16pair:
	CMPQ  R9, $2
	JLT   w16single
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	MOVQ  SI, R10
	MOVQ  DI, R11
	LEAQ  (DI)(R8*1), R13 // the second block
	MOVQ  CX, R12

w16pairstep:
	VMOVDQU  (R10), Y2 // a[0:16]
	VPERMD   Y2, Y12, Y3
	VPMADDWD 0(R11), Y3, Y4
	VPADDD   Y4, Y0, Y0
	VPMADDWD 0(R13), Y3, Y4
	VPADDD   Y4, Y8, Y8
	VPERMD   Y2, Y13, Y3
	VPMADDWD 32(R11), Y3, Y4
	VPADDD   Y4, Y1, Y1
	VPMADDWD 32(R13), Y3, Y4
	VPADDD   Y4, Y9, Y9
	VPERMD   Y2, Y14, Y3
	VPMADDWD 64(R11), Y3, Y4
	VPADDD   Y4, Y0, Y0
	VPMADDWD 64(R13), Y3, Y4
	VPADDD   Y4, Y8, Y8
	VPERMD   Y2, Y15, Y3
	VPMADDWD 96(R11), Y3, Y4
	VPADDD   Y4, Y1, Y1
	VPMADDWD 96(R13), Y3, Y4
	VPADDD   Y4, Y9, Y9
	ADDQ     $32, R10
	ADDQ     $128, R11
	ADDQ     $128, R13
	DECQ     R12
	JNZ      w16pairstep

	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPMOVSXDQ    X0, Y0
	VPADDQ       (DX), Y0, Y0
	VMOVDQU      Y0, (DX)
	VPADDD       Y9, Y8, Y8
	VEXTRACTI128 $1, Y8, X9
	VPADDD       X9, X8, X8
	VPMOVSXDQ    X8, Y8
	VPADDQ       32(DX), Y8, Y8
	VMOVDQU      Y8, 32(DX)
	ADDQ         $64, DX
	LEAQ         (DI)(R8*2), DI
	SUBQ         $2, R9
	JMP          w16pair

w16single:
	TESTQ R9, R9
	JZ    w16done
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	MOVQ  SI, R10
	MOVQ  DI, R11
	MOVQ  CX, R12

w16singlestep:
	VMOVDQU  (R10), Y2
	VPERMD   Y2, Y12, Y3
	VPMADDWD 0(R11), Y3, Y4
	VPADDD   Y4, Y0, Y0
	VPERMD   Y2, Y13, Y3
	VPMADDWD 32(R11), Y3, Y4
	VPADDD   Y4, Y1, Y1
	VPERMD   Y2, Y14, Y3
	VPMADDWD 64(R11), Y3, Y4
	VPADDD   Y4, Y0, Y0
	VPERMD   Y2, Y15, Y3
	VPMADDWD 96(R11), Y3, Y4
	VPADDD   Y4, Y1, Y1
	ADDQ     $32, R10
	ADDQ     $128, R11
	DECQ     R12
	JNZ      w16singlestep

	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPMOVSXDQ    X0, Y0
	VPADDQ       (DX), Y0, Y0
	VMOVDQU      Y0, (DX)

w16done:
	VZEROUPPER
	RET
