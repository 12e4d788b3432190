//go:build !purego

#include "textflag.h"

// EWCLAMP clamps r like ewClamp: VMAXPS returns its second source (r)
// unless lo is greater, so NaN and -0 against +0 pass; VMINPS likewise.
#define EWCLAMP(r) \
	VMAXPS r, Y14, r; \
	VMINPS r, Y15, r

// EWSTEP is one step of 16 elements for the vector op.
#define EWSTEP(op) \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	op      (DX), Y0, Y0; \
	op      32(DX), Y1, Y1; \
	EWCLAMP(Y0); \
	EWCLAMP(Y1); \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DX; \
	ADDQ    $64, DI

// func ewF32AVX2(o, a, b *float32, n, kind int, lo, hi float32)
TEXT ·ewF32AVX2(SB), NOSPLIT, $0-48
	MOVQ         o+0(FP), DI
	MOVQ         a+8(FP), SI
	MOVQ         b+16(FP), DX
	MOVQ         n+24(FP), CX
	MOVQ         kind+32(FP), AX
	VBROADCASTSS lo+40(FP), Y14
	VBROADCASTSS hi+44(FP), Y15
	CMPQ         AX, $1
	JEQ          ewsub
	JGT          ewmul

ewadd:
	EWSTEP(VADDPS)
	DECQ CX
	JNZ  ewadd
	VZEROUPPER
	RET

ewsub:
	EWSTEP(VSUBPS)
	DECQ CX
	JNZ  ewsub
	VZEROUPPER
	RET

ewmul:
	EWSTEP(VMULPS)
	DECQ CX
	JNZ  ewmul
	VZEROUPPER
	RET
