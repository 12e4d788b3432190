//go:build !purego

#include "textflag.h"

// Go's arm64 assembler has no mnemonics for FMLA and SDOT by element, the
// vector FADD/FMAX/FMIN or SMULL/SADALP: these macros encode them (Vd, Vn,
// Vm register numbers, lane i of Vm; all on 128-bit vectors except SMULL,
// which multiplies the low 8 bytes).
#define FMLAE(d, n, m, i) WORD $(0x4F801000 | (m)<<16 | ((i)&1)<<21 | ((i)>>1)<<11 | (n)<<5 | (d))
#define SDOTE(d, n, m, i) WORD $(0x4F80E000 | (m)<<16 | ((i)&1)<<21 | ((i)>>1)<<11 | (n)<<5 | (d))
#define FADDV(d, n, m) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))
#define FMAXV(d, n, m) WORD $(0x4E20F400 | (m)<<16 | (n)<<5 | (d))
#define FMINV(d, n, m) WORD $(0x4EA0F400 | (m)<<16 | (n)<<5 | (d))

// The four-row kernels share one frame: rows a+r*lda (r < 4) in R2..R5,
// read through R10..R13; blocks of four channels in groups of four,
// weights read through R19..R22 (one pointer per block); accumulator of
// row r, block b of the group in V(4r+b), so row r's 16 channels are
// V(4r)..V(4r+3) in order, stored (or added) with one VST1. A main step
// reads 16 bytes of each row and 64 of each block, a tail step 4 bytes of
// each row (broadcast) and 16 of each block; blocks left after the groups
// of four go one at a time (accumulators V0, V4, V8, V12).

// MAC4(INS, j, w, b): row lane j times weights Vw into block b of every row.
#define MAC4(INS, j, w, b) \
	INS(b, w, 16, j);    \
	INS(4+b, w, 17, j);  \
	INS(8+b, w, 18, j);  \
	INS(12+b, w, 19, j)

#define LOADROWS \
	VLD1.P 16(R10), [V16.B16]; \
	VLD1.P 16(R11), [V17.B16]; \
	VLD1.P 16(R12), [V18.B16]; \
	VLD1.P 16(R13), [V19.B16]

#define LOADROWS1 \
	VLD1R.P 4(R10), [V16.S4]; \
	VLD1R.P 4(R11), [V17.S4]; \
	VLD1R.P 4(R12), [V18.S4]; \
	VLD1R.P 4(R13), [V19.S4]

// Main step, groups of four blocks: four lanes of the rows against four
// vectors of each block, two blocks at a time (V20..V27).
#define STEP4(INS) \
	LOADROWS; \
	VLD1.P 64(R19), [V20.B16, V21.B16, V22.B16, V23.B16]; \
	VLD1.P 64(R20), [V24.B16, V25.B16, V26.B16, V27.B16]; \
	MAC4(INS, 0, 20, 0); MAC4(INS, 0, 24, 1); \
	MAC4(INS, 1, 21, 0); MAC4(INS, 1, 25, 1); \
	MAC4(INS, 2, 22, 0); MAC4(INS, 2, 26, 1); \
	MAC4(INS, 3, 23, 0); MAC4(INS, 3, 27, 1); \
	VLD1.P 64(R21), [V20.B16, V21.B16, V22.B16, V23.B16]; \
	VLD1.P 64(R22), [V24.B16, V25.B16, V26.B16, V27.B16]; \
	MAC4(INS, 0, 20, 2); MAC4(INS, 0, 24, 3); \
	MAC4(INS, 1, 21, 2); MAC4(INS, 1, 25, 3); \
	MAC4(INS, 2, 22, 2); MAC4(INS, 2, 26, 3); \
	MAC4(INS, 3, 23, 2); MAC4(INS, 3, 27, 3)

#define TAIL4(INS) \
	LOADROWS1; \
	VLD1.P 16(R19), [V20.B16]; \
	VLD1.P 16(R20), [V21.B16]; \
	VLD1.P 16(R21), [V22.B16]; \
	VLD1.P 16(R22), [V23.B16]; \
	MAC4(INS, 0, 20, 0); MAC4(INS, 0, 21, 1); \
	MAC4(INS, 0, 22, 2); MAC4(INS, 0, 23, 3)

#define STEP1(INS) \
	LOADROWS; \
	VLD1.P 64(R19), [V20.B16, V21.B16, V22.B16, V23.B16]; \
	MAC4(INS, 0, 20, 0); MAC4(INS, 1, 21, 0); \
	MAC4(INS, 2, 22, 0); MAC4(INS, 3, 23, 0)

#define TAIL1(INS) \
	LOADROWS1; \
	VLD1.P 16(R19), [V20.B16]; \
	MAC4(INS, 0, 20, 0)

// Frame setup: R2 row 0 (rows lda bytes apart in R1, ROWS for the
// others), R6 weights, R7 block stride in bytes, R8 acc (row stride R9
// bytes), R16 blocks, R17 add; each kernel then sets R15 and R14, its
// main and tail step counts (R23 counts them down).
#define SETUP(bstride_, blocks_, add_) \
	MOVD  a+0(FP), R2;    \
	MOVD  lda+8(FP), R1;  \
	MOVD  wp+16(FP), R6;  \
	MOVD  acc+24(FP), R8; \
	MOVD  ldc+32(FP), R9; \
	LSL   $2, R9, R9;     \
	MOVD  bstride_, R7;   \
	MOVD  blocks_, R16;   \
	MOVBU add_, R17

#define ROWS \
	ADD R1, R2, R3; \
	ADD R1, R3, R4; \
	ADD R1, R4, R5

// Rewind the rows and point R19..R22 at the next four blocks.
#define START \
	MOVD R2, R10;       \
	MOVD R3, R11;       \
	MOVD R4, R12;       \
	MOVD R5, R13;       \
	MOVD R6, R19;       \
	ADD  R7, R19, R20;  \
	ADD  R7, R20, R21;  \
	ADD  R7, R21, R22

#define ZERO16 \
	VEOR V0.B16, V0.B16, V0.B16;    \
	VEOR V1.B16, V1.B16, V1.B16;    \
	VEOR V2.B16, V2.B16, V2.B16;    \
	VEOR V3.B16, V3.B16, V3.B16;    \
	VEOR V4.B16, V4.B16, V4.B16;    \
	VEOR V5.B16, V5.B16, V5.B16;    \
	VEOR V6.B16, V6.B16, V6.B16;    \
	VEOR V7.B16, V7.B16, V7.B16;    \
	VEOR V8.B16, V8.B16, V8.B16;    \
	VEOR V9.B16, V9.B16, V9.B16;    \
	VEOR V10.B16, V10.B16, V10.B16; \
	VEOR V11.B16, V11.B16, V11.B16; \
	VEOR V12.B16, V12.B16, V12.B16; \
	VEOR V13.B16, V13.B16, V13.B16; \
	VEOR V14.B16, V14.B16, V14.B16; \
	VEOR V15.B16, V15.B16, V15.B16

#define ZERO4 \
	VEOR V0.B16, V0.B16, V0.B16;    \
	VEOR V4.B16, V4.B16, V4.B16;    \
	VEOR V8.B16, V8.B16, V8.B16;    \
	VEOR V12.B16, V12.B16, V12.B16

// Add the old accumulators of row r (16 channels at R24) to V(4r)..V(4r+3).
#define ADDROW4F(r) \
	VLD1 (R24), [V16.S4, V17.S4, V18.S4, V19.S4]; \
	FADDV(4*r, 4*r, 16);     \
	FADDV(4*r+1, 4*r+1, 17); \
	FADDV(4*r+2, 4*r+2, 18); \
	FADDV(4*r+3, 4*r+3, 19); \
	ADD R9, R24, R24

#define ADDROW4I(v0, v1, v2, v3) \
	VLD1 (R24), [V16.S4, V17.S4, V18.S4, V19.S4]; \
	VADD V16.S4, v0.S4, v0.S4; \
	VADD V17.S4, v1.S4, v1.S4; \
	VADD V18.S4, v2.S4, v2.S4; \
	VADD V19.S4, v3.S4, v3.S4; \
	ADD R9, R24, R24

#define PUT4 \
	MOVD R8, R24; \
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R24);     \
	ADD  R9, R24, R24;                            \
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R24);     \
	ADD  R9, R24, R24;                            \
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R24);   \
	ADD  R9, R24, R24;                            \
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R24); \
	ADD  $64, R8, R8;                             \
	ADD  R7<<2, R6, R6

#define PUT1 \
	MOVD R8, R24; \
	VST1 [V0.S4], (R24);  \
	ADD  R9, R24, R24;    \
	VST1 [V4.S4], (R24);  \
	ADD  R9, R24, R24;    \
	VST1 [V8.S4], (R24);  \
	ADD  R9, R24, R24;    \
	VST1 [V12.S4], (R24); \
	ADD  $16, R8, R8;     \
	ADD  R7, R6, R6

// func gemm4F32NEON(a *float32, lda int, wp, acc *float32, ldc, kk, bstride, blocks int, add bool)
//
// Main steps of 4 depths (FMLA by element: row lane j times depth j of a
// block), tail steps of one depth. Each accumulator is one chain of FMAs
// in depth order; with add the old acc is added after.
TEXT ·gemm4F32NEON(SB), NOSPLIT, $0-65
	SETUP(bstride+48(FP), blocks+56(FP), add+64(FP))
	LSL  $2, R1, R1
	ROWS
	LSL  $2, R7, R7
	MOVD kk+40(FP), R14
	LSR  $2, R14, R15
	AND  $3, R14, R14

f4group:
	CMP   $4, R16
	BLT   f4single
	ZERO16
	START
	CBZ   R15, f4gtail
	MOVD  R15, R23

f4gstep:
	STEP4(FMLAE)
	SUBS $1, R23, R23
	BNE  f4gstep

f4gtail:
	CBZ  R14, f4gput
	MOVD R14, R23

f4gdepth:
	TAIL4(FMLAE)
	SUBS $1, R23, R23
	BNE  f4gdepth

f4gput:
	CBZ  R17, f4gstore
	MOVD R8, R24
	ADDROW4F(0)
	ADDROW4F(1)
	ADDROW4F(2)
	ADDROW4F(3)

f4gstore:
	PUT4
	SUB $4, R16, R16
	B   f4group

f4single:
	CBZ  R16, f4done
	ZERO4
	START
	CBZ  R15, f4stail
	MOVD R15, R23

f4sstep:
	STEP1(FMLAE)
	SUBS $1, R23, R23
	BNE  f4sstep

f4stail:
	CBZ  R14, f4sput
	MOVD R14, R23

f4sdepth:
	TAIL1(FMLAE)
	SUBS $1, R23, R23
	BNE  f4sdepth

f4sput:
	CBZ  R17, f4sstore
	MOVD R8, R24
	VLD1 (R24), [V16.S4]
	ADD  R9, R24, R24
	VLD1 (R24), [V17.S4]
	ADD  R9, R24, R24
	VLD1 (R24), [V18.S4]
	ADD  R9, R24, R24
	VLD1 (R24), [V19.S4]
	FADDV(0, 0, 16)
	FADDV(4, 4, 17)
	FADDV(8, 8, 18)
	FADDV(12, 12, 19)

f4sstore:
	PUT1
	SUB $1, R16, R16
	B   f4single

f4done:
	RET

// func gemm4I8SDOT(a *int8, lda int, wp *int8, acc *int32, ldc, n, q, bstride, blocks int, add bool)
//
// The quad layout of packRowsI8On(pathSDOT) holds one depth quadruple of a
// block's four channels per 16 bytes, so SDOT by element with row lane j
// (depths 4j..4j+3 of a main step) adds it to all four channels at once:
// n main steps of 16 depths, q tail steps of 4. Exact: int8 products,
// int32 sums wrapping like the portable loop's.
TEXT ·gemm4I8SDOT(SB), NOSPLIT, $0-73
	SETUP(bstride+56(FP), blocks+64(FP), add+72(FP))
	ROWS
	MOVD n+40(FP), R15
	MOVD q+48(FP), R14

s4group:
	CMP   $4, R16
	BLT   s4single
	ZERO16
	START
	CBZ   R15, s4gtail
	MOVD  R15, R23

s4gstep:
	STEP4(SDOTE)
	SUBS $1, R23, R23
	BNE  s4gstep

s4gtail:
	CBZ  R14, s4gput
	MOVD R14, R23

s4gquad:
	TAIL4(SDOTE)
	SUBS $1, R23, R23
	BNE  s4gquad

s4gput:
	CBZ  R17, s4gstore
	MOVD R8, R24
	ADDROW4I(V0, V1, V2, V3)
	ADDROW4I(V4, V5, V6, V7)
	ADDROW4I(V8, V9, V10, V11)
	ADDROW4I(V12, V13, V14, V15)

s4gstore:
	PUT4
	SUB $4, R16, R16
	B   s4group

s4single:
	CBZ  R16, s4done
	ZERO4
	START
	CBZ  R15, s4stail
	MOVD R15, R23

s4sstep:
	STEP1(SDOTE)
	SUBS $1, R23, R23
	BNE  s4sstep

s4stail:
	CBZ  R14, s4sput
	MOVD R14, R23

s4squad:
	TAIL1(SDOTE)
	SUBS $1, R23, R23
	BNE  s4squad

s4sput:
	CBZ  R17, s4sstore
	MOVD R8, R24
	VLD1 (R24), [V16.S4]
	ADD  R9, R24, R24
	VLD1 (R24), [V17.S4]
	ADD  R9, R24, R24
	VLD1 (R24), [V18.S4]
	ADD  R9, R24, R24
	VLD1 (R24), [V19.S4]
	VADD V16.S4, V0.S4, V0.S4
	VADD V17.S4, V4.S4, V4.S4
	VADD V18.S4, V8.S4, V8.S4
	VADD V19.S4, V12.S4, V12.S4

s4sstore:
	PUT1
	SUB $1, R16, R16
	B   s4single

s4done:
	RET

// func biasActNEON(out, acc, bias *float32, n int, lo, hi float32)
//
// 16 floats per step while n >= 4, then 4 per step.
TEXT ·biasActNEON(SB), NOSPLIT, $0-40
	MOVD  out+0(FP), R0
	MOVD  acc+8(FP), R1
	MOVD  bias+16(FP), R2
	MOVD  n+24(FP), R3
	FMOVS lo+32(FP), F30
	FMOVS hi+36(FP), F31
	VDUP  V30.S[0], V30.S4
	VDUP  V31.S[0], V31.S4

ba16:
	CMP    $4, R3
	BLT    ba4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	CBZ    R2, ba16clamp
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	FADDV(0, 0, 4)
	FADDV(1, 1, 5)
	FADDV(2, 2, 6)
	FADDV(3, 3, 7)

ba16clamp:
	FMAXV(0, 0, 30)
	FMAXV(1, 1, 30)
	FMAXV(2, 2, 30)
	FMAXV(3, 3, 30)
	FMINV(0, 0, 31)
	FMINV(1, 1, 31)
	FMINV(2, 2, 31)
	FMINV(3, 3, 31)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB    $4, R3, R3
	B      ba16

ba4:
	CBZ    R3, badone
	VLD1.P 16(R1), [V0.S4]
	CBZ    R2, ba4clamp
	VLD1.P 16(R2), [V4.S4]
	FADDV(0, 0, 4)

ba4clamp:
	FMAXV(0, 0, 30)
	FMINV(0, 0, 31)
	VST1.P [V0.S4], 16(R0)
	SUB    $1, R3, R3
	B      ba4

badone:
	RET

// The pair layout (packRowsI8On(pathNEON)) holds two depths of a block's
// four channels per 8 bytes. SMULL multiplies them, byte by byte, with
// one row's depth pair broadcast (DUP of a 16-bit lane: the bytes a0 a1 in
// every pair of lanes) into 16-bit products, exact as int8 products are;
// SADALP adds each channel's two products, widened, into its int32 lane.
// (Adding two products in 16 bits first would overflow at -128*-128.)
#define SMULLV(d, n, m) WORD $(0x0E20C000 | (m)<<16 | (n)<<5 | (d))
#define SMULL2V(d, n, m) WORD $(0x4E20C000 | (m)<<16 | (n)<<5 | (d))
#define SADALPV(d, n) WORD $(0x4E606800 | (n)<<5 | (d))

// Pair j of every row (16-bit lane j of V16..V19) into all lanes of V20..V23.
#define DUPPAIR(j) \
	VDUP V16.H[j], V20.H8; \
	VDUP V17.H[j], V21.H8; \
	VDUP V18.H[j], V22.H8; \
	VDUP V19.H[j], V23.H8

// The weight pair in the low (SMULLV) or high (SMULL2V) half of Vw times
// each row's pair, into block b of every row (products in V28..V31).
#define PMAC(MUL, w, b) \
	MUL(28, w, 20);   \
	MUL(29, w, 21);   \
	MUL(30, w, 22);   \
	MUL(31, w, 23);   \
	SADALPV(b, 28);   \
	SADALPV(4+b, 29); \
	SADALPV(8+b, 30); \
	SADALPV(12+b, 31)

// Pairs j, j1 = j+1 (16 bytes of each of four blocks, V24..V27).
#define PAIRS4(j, j1) \
	VLD1.P 16(R19), [V24.B16]; \
	VLD1.P 16(R20), [V25.B16]; \
	VLD1.P 16(R21), [V26.B16]; \
	VLD1.P 16(R22), [V27.B16]; \
	DUPPAIR(j);                \
	PMAC(SMULLV, 24, 0);       \
	PMAC(SMULLV, 25, 1);       \
	PMAC(SMULLV, 26, 2);       \
	PMAC(SMULLV, 27, 3);       \
	DUPPAIR(j1);               \
	PMAC(SMULL2V, 24, 0);      \
	PMAC(SMULL2V, 25, 1);      \
	PMAC(SMULL2V, 26, 2);      \
	PMAC(SMULL2V, 27, 3)

#define PAIRS1(j, j1) \
	VLD1.P 16(R19), [V24.B16]; \
	DUPPAIR(j);                \
	PMAC(SMULLV, 24, 0);       \
	DUPPAIR(j1);               \
	PMAC(SMULL2V, 24, 0)

// func gemm4I8NEON(a *int8, lda int, wp *int8, acc *int32, ldc, n, q, bstride, blocks int, add bool)
//
// gemm4I8SDOT for the pair layout: n main steps of 16 depths (8 pairs),
// q tail steps of 4 (2 pairs, the row's 4 bytes broadcast so that lanes
// 0 and 1 hold them). Exact, int32 sums wrapping like the portable loop's.
TEXT ·gemm4I8NEON(SB), NOSPLIT, $0-73
	SETUP(bstride+56(FP), blocks+64(FP), add+72(FP))
	ROWS
	MOVD n+40(FP), R15
	MOVD q+48(FP), R14

n4group:
	CMP  $4, R16
	BLT  n4single
	ZERO16
	START
	CBZ  R15, n4gtail
	MOVD R15, R23

n4gstep:
	LOADROWS
	PAIRS4(0, 1)
	PAIRS4(2, 3)
	PAIRS4(4, 5)
	PAIRS4(6, 7)
	SUBS $1, R23, R23
	BNE  n4gstep

n4gtail:
	CBZ  R14, n4gput
	MOVD R14, R23

n4gquad:
	LOADROWS1
	PAIRS4(0, 1)
	SUBS $1, R23, R23
	BNE  n4gquad

n4gput:
	CBZ  R17, n4gstore
	MOVD R8, R24
	ADDROW4I(V0, V1, V2, V3)
	ADDROW4I(V4, V5, V6, V7)
	ADDROW4I(V8, V9, V10, V11)
	ADDROW4I(V12, V13, V14, V15)

n4gstore:
	PUT4
	SUB $4, R16, R16
	B   n4group

n4single:
	CBZ  R16, n4done
	ZERO4
	START
	CBZ  R15, n4stail
	MOVD R15, R23

n4sstep:
	LOADROWS
	PAIRS1(0, 1)
	PAIRS1(2, 3)
	PAIRS1(4, 5)
	PAIRS1(6, 7)
	SUBS $1, R23, R23
	BNE  n4sstep

n4stail:
	CBZ  R14, n4sput
	MOVD R14, R23

n4squad:
	LOADROWS1
	PAIRS1(0, 1)
	SUBS $1, R23, R23
	BNE  n4squad

n4sput:
	CBZ  R17, n4sstore
	MOVD R8, R24
	VLD1 (R24), [V16.S4]
	ADD  R9, R24, R24
	VLD1 (R24), [V17.S4]
	ADD  R9, R24, R24
	VLD1 (R24), [V18.S4]
	ADD  R9, R24, R24
	VLD1 (R24), [V19.S4]
	VADD V16.S4, V0.S4, V0.S4
	VADD V17.S4, V4.S4, V4.S4
	VADD V18.S4, V8.S4, V8.S4
	VADD V19.S4, V12.S4, V12.S4

n4sstore:
	PUT1
	SUB $1, R16, R16
	B   n4single

n4done:
	RET
