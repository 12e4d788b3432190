//go:build !purego

#include "textflag.h"

DATA dwK<>+0x00(SB)/8, $0x0000000040000000 // 2^30 per int64 lane
DATA dwK<>+0x08(SB)/4, $0x00000001         // int32 1
DATA dwK<>+0x0c(SB)/4, $0x80000000         // int32 min
GLOBL dwK<>(SB), RODATA|NOPTR, $16

// DWREQ requantizes the 8 int32 sums in acc in place, channels R8+d/4 on
// (d a byte displacement into the int32 arrays at AX add and DX mult, d2
// and d3 = d2+32 into the int64 shifts at R9), with requantize32's
// arithmetic: x = (acc+add) << left; h = (x*q + 2^30) >> 31 on 64-bit
// products, its one saturating case patched; h >> right rounded half away
// from zero; + zp (Y13), clamped to [Y14, Y15]. Y3-Y8 are scratch.
#define DWREQ(acc, d, d2, d3) \
	VMOVDQU  d2(R9)(R8*8), Y4; \
	VMOVDQU  d3(R9)(R8*8), Y5; \
	VSHUFPS  $0x88, Y5, Y4, Y4; \
	VPERMQ   $0xD8, Y4, Y4; \
	VPMAXSD  Y9, Y4, Y3; \
	VPSUBD   Y4, Y9, Y4; \
	VPMAXSD  Y9, Y4, Y4; \
	VPADDD   d(AX)(R8*4), acc, acc; \
	VPSLLVD  Y3, acc, acc; \
	VMOVDQU  d(DX)(R8*4), Y5; \
	VPMULDQ  Y5, acc, Y6; \
	VPSRLQ   $32, acc, Y7; \
	VPSRLQ   $32, Y5, Y8; \
	VPMULDQ  Y8, Y7, Y7; \
	VPADDQ   Y12, Y6, Y6; \
	VPADDQ   Y12, Y7, Y7; \
	VPSRLQ   $31, Y6, Y6; \
	VPSLLQ   $1, Y7, Y7; \
	VPBLENDD $0xAA, Y7, Y6, Y6; \
	VPCMPEQD Y10, acc, Y7; \
	VPCMPEQD Y10, Y5, Y8; \
	VPAND    Y8, Y7, Y7; \
	VPADDD   Y7, Y6, Y6; \
	VPSLLVD  Y4, Y11, Y8; \
	VPSUBD   Y11, Y8, Y8; \
	VPAND    Y8, Y6, Y3; \
	VPSRAD   $1, Y8, Y8; \
	VPSRLD   $31, Y6, Y5; \
	VPADDD   Y5, Y8, Y8; \
	VPSUBD   Y3, Y8, Y8; \
	VPSRLD   $31, Y8, Y8; \
	VPSRAVD  Y4, Y6, Y6; \
	VPADDD   Y8, Y6, Y6; \
	VPADDD   Y13, Y6, Y6; \
	VPMAXSD  Y14, Y6, Y6; \
	VPMINSD  Y15, Y6, acc

// func dwRowI8AVX2(out, in *int8, taps, ftaps *int, ntaps int, f *int8, add, mult *int32, shift *int, b16, b8, npix, inStep, c int, xo, zp, lo, hi int32)
//
// Per pixel, per block of 16 channels: the taps go two at a time, their
// input and filter bytes interleaved per channel and widened to int16
// (x+xo in [-255, 255], f in [-128, 127]), so one VPMADDWD gives each
// channel's two products summed exactly in int32; those add into Y0/Y1
// (channels 0-7, 8-15) over all taps, an odd last tap by VPMULLW. Both
// are then requantized and narrowed (the clamp keeps them in int8, so the
// saturating packs are exact) into 16 output bytes. Then a block of 8
// channels alike with one accumulator. Tap t reads the input at taps[t]
// and the filter at ftaps[t] (element offsets).
TEXT ·dwRowI8AVX2(SB), NOSPLIT, $0-128
	MOVQ         out+0(FP), DI
	MOVQ         in+8(FP), SI
	MOVQ         npix+88(FP), CX
	MOVL         zp+116(FP), AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13
	MOVL         lo+120(FP), AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	MOVL         hi+124(FP), AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	VPBROADCASTQ dwK<>+0x00(SB), Y12
	VPBROADCASTD dwK<>+0x08(SB), Y11
	VPBROADCASTD dwK<>+0x0c(SB), Y10
	VPXOR        Y9, Y9, Y9

i8pix:
	XORQ  R8, R8
	MOVQ  b16+72(FP), BX
	TESTQ BX, BX
	JZ    i8tail

i8blk:
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	MOVL         xo+112(FP), R12
	VMOVD        R12, X8
	VPBROADCASTW X8, Y8
	MOVQ         taps+16(FP), R9
	MOVQ         ftaps+24(FP), DX
	XORQ         R10, R10
	MOVQ         f+40(FP), R11
	ADDQ         R8, R11
	LEAQ         (SI)(R8*1), AX

	MOVQ         ntaps+32(FP), BX
	DECQ         BX
	JZ           i8one

	// Two taps at a time: the bytes of both interleave per channel, so
	// one VPMADDWD multiplies and adds a pair (16-bit products, their sum
	// exact in 32 bits), with the filter interleaved alike.
i8pair:
	MOVQ         (R9)(R10*8), R12
	MOVQ         (DX)(R10*8), R13
	VMOVDQU      (AX)(R12*1), X2
	VMOVDQU      (R11)(R13*1), X4
	MOVQ         8(R9)(R10*8), R12
	MOVQ         8(DX)(R10*8), R13
	VPUNPCKHBW   (AX)(R12*1), X2, X3
	VPUNPCKLBW   (AX)(R12*1), X2, X2
	VPUNPCKHBW   (R11)(R13*1), X4, X5
	VPUNPCKLBW   (R11)(R13*1), X4, X4
	VPMOVSXBW    X2, Y2
	VPMOVSXBW    X3, Y3
	VPMOVSXBW    X4, Y4
	VPMOVSXBW    X5, Y5
	VPADDW       Y8, Y2, Y2
	VPADDW       Y8, Y3, Y3
	VPMADDWD     Y4, Y2, Y2
	VPMADDWD     Y5, Y3, Y3
	VPADDD       Y2, Y0, Y0
	VPADDD       Y3, Y1, Y1
	ADDQ         $2, R10
	CMPQ         R10, BX
	JLT          i8pair
	JGT          i8sum

	// The last of an odd number of taps.
i8one:
	MOVQ         (R9)(R10*8), R12
	MOVQ         (DX)(R10*8), R13
	VPMOVSXBW    (AX)(R12*1), Y2
	VPADDW       Y8, Y2, Y2
	VPMOVSXBW    (R11)(R13*1), Y3
	VPMULLW      Y3, Y2, Y2
	VEXTRACTI128 $1, Y2, X3
	VPMOVSXWD    X2, Y2
	VPMOVSXWD    X3, Y3
	VPADDD       Y2, Y0, Y0
	VPADDD       Y3, Y1, Y1

i8sum:
	MOVQ         add+48(FP), AX
	MOVQ         mult+56(FP), DX
	MOVQ         shift+64(FP), R9
	DWREQ(Y0, 0, 0, 32)
	DWREQ(Y1, 32, 64, 96)
	VPACKSSDW    Y1, Y0, Y0       // 0-3 8-11 | 4-7 12-15 as int16
	VPERMQ       $0xD8, Y0, Y0    // 0-15
	VEXTRACTI128 $1, Y0, X1
	VPACKSSWB    X1, X0, X0
	VMOVDQU      X0, (DI)(R8*1)
	ADDQ         $16, R8
	MOVQ         b16+72(FP), BX
	SHLQ         $4, BX
	CMPQ         R8, BX
	JLT          i8blk

i8tail:
	MOVQ         b8+80(FP), BX
	TESTQ        BX, BX
	JZ           i8next
	VPXOR        Y0, Y0, Y0
	MOVL         xo+112(FP), R12
	VMOVD        R12, X8
	VPBROADCASTW X8, Y8
	MOVQ         taps+16(FP), R9
	MOVQ         ftaps+24(FP), DX
	XORQ         R10, R10
	MOVQ         f+40(FP), R11
	ADDQ         R8, R11
	LEAQ         (SI)(R8*1), AX
	MOVQ         ntaps+32(FP), BX
	DECQ         BX
	JZ           i8one8

i8pair8:
	MOVQ         (R9)(R10*8), R12
	MOVQ         (DX)(R10*8), R13
	VMOVQ        (AX)(R12*1), X2
	VMOVQ        (R11)(R13*1), X4
	MOVQ         8(R9)(R10*8), R12
	MOVQ         8(DX)(R10*8), R13
	VMOVQ        (AX)(R12*1), X3
	VMOVQ        (R11)(R13*1), X5
	VPUNPCKLBW   X3, X2, X2
	VPUNPCKLBW   X5, X4, X4
	VPMOVSXBW    X2, Y2
	VPMOVSXBW    X4, Y4
	VPADDW       Y8, Y2, Y2
	VPMADDWD     Y4, Y2, Y2
	VPADDD       Y2, Y0, Y0
	ADDQ         $2, R10
	CMPQ         R10, BX
	JLT          i8pair8
	JGT          i8sum8

i8one8:
	MOVQ         (R9)(R10*8), R12
	MOVQ         (DX)(R10*8), R13
	VPMOVSXBW    (AX)(R12*1), X2
	VPADDW       X8, X2, X2
	VPMOVSXBW    (R11)(R13*1), X3
	VPMULLW      X3, X2, X2
	VPMOVSXWD    X2, Y2
	VPADDD       Y2, Y0, Y0

i8sum8:
	MOVQ         add+48(FP), AX
	MOVQ         mult+56(FP), DX
	MOVQ         shift+64(FP), R9
	DWREQ(Y0, 0, 0, 32)
	VEXTRACTI128 $1, Y0, X1
	VPACKSSDW    X1, X0, X0
	VPACKSSWB    X0, X0, X0
	VMOVQ        X0, (DI)(R8*1)

i8next:
	ADDQ inStep+96(FP), SI
	ADDQ c+104(FP), DI
	DECQ CX
	JNZ  i8pix
	VZEROUPPER
	RET

// func dwRowF32AVX2(out, in *float32, taps, ftaps *int, ntaps int, f, bias *float32, b32, b8, npix, inStepBytes, cBytes int, lo, hi float32)
//
// Blocks of 32 channels keep four FMA chains in Y0-Y3 over the taps (one
// chain would wait on the FMA latency every tap), then blocks of 8 one.
// The clamp takes the sum as the second source, so a NaN passes through
// as in Go's min and max.
TEXT ·dwRowF32AVX2(SB), NOSPLIT, $0-104
	MOVQ         out+0(FP), DI
	MOVQ         in+8(FP), SI
	MOVQ         npix+72(FP), CX
	VBROADCASTSS lo+96(FP), Y14
	VBROADCASTSS hi+100(FP), Y15

f32pix:
	XORQ  R8, R8
	MOVQ  b32+56(FP), BX
	TESTQ BX, BX
	JZ    f32tail

f32blk:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   taps+16(FP), R9
	MOVQ   ftaps+24(FP), DX
	XORQ   R10, R10
	MOVQ   f+40(FP), R11
	ADDQ   R8, R11
	LEAQ   (SI)(R8*1), AX

f32tap:
	MOVQ        (R9)(R10*8), R12
	MOVQ        (DX)(R10*8), R13
	VMOVUPS     (AX)(R12*4), Y4
	VMOVUPS     32(AX)(R12*4), Y5
	VMOVUPS     64(AX)(R12*4), Y6
	VMOVUPS     96(AX)(R12*4), Y7
	VFMADD231PS (R11)(R13*4), Y4, Y0
	VFMADD231PS 32(R11)(R13*4), Y5, Y1
	VFMADD231PS 64(R11)(R13*4), Y6, Y2
	VFMADD231PS 96(R11)(R13*4), Y7, Y3
	INCQ        R10
	CMPQ        R10, ntaps+32(FP)
	JLT         f32tap

	MOVQ    bias+48(FP), DX
	VADDPS  (DX)(R8*1), Y0, Y0
	VADDPS  32(DX)(R8*1), Y1, Y1
	VADDPS  64(DX)(R8*1), Y2, Y2
	VADDPS  96(DX)(R8*1), Y3, Y3
	VMAXPS  Y0, Y14, Y0
	VMAXPS  Y1, Y14, Y1
	VMAXPS  Y2, Y14, Y2
	VMAXPS  Y3, Y14, Y3
	VMINPS  Y0, Y15, Y0
	VMINPS  Y1, Y15, Y1
	VMINPS  Y2, Y15, Y2
	VMINPS  Y3, Y15, Y3
	VMOVUPS Y0, (DI)(R8*1)
	VMOVUPS Y1, 32(DI)(R8*1)
	VMOVUPS Y2, 64(DI)(R8*1)
	VMOVUPS Y3, 96(DI)(R8*1)
	ADDQ    $128, R8
	DECQ    BX
	JNZ     f32blk

f32tail:
	MOVQ  b8+64(FP), BX
	TESTQ BX, BX
	JZ    f32next

f32blk8:
	VXORPS Y0, Y0, Y0
	MOVQ   taps+16(FP), R9
	MOVQ   ftaps+24(FP), DX
	XORQ   R10, R10
	MOVQ   f+40(FP), R11
	ADDQ   R8, R11
	LEAQ   (SI)(R8*1), AX

f32tap8:
	MOVQ        (R9)(R10*8), R12
	MOVQ        (DX)(R10*8), R13
	VMOVUPS     (AX)(R12*4), Y4
	VFMADD231PS (R11)(R13*4), Y4, Y0
	INCQ        R10
	CMPQ        R10, ntaps+32(FP)
	JLT         f32tap8

	MOVQ    bias+48(FP), DX
	VADDPS  (DX)(R8*1), Y0, Y0
	VMAXPS  Y0, Y14, Y0
	VMINPS  Y0, Y15, Y0
	VMOVUPS Y0, (DI)(R8*1)
	ADDQ    $32, R8
	DECQ    BX
	JNZ     f32blk8

f32next:
	ADDQ inStepBytes+80(FP), SI
	ADDQ cBytes+88(FP), DI
	DECQ CX
	JNZ  f32pix
	VZEROUPPER
	RET

// func dwRowF32Q4AVX2(out, in *float32, taps, ftaps *int, ntaps int, f, bias *float32, b8Bytes, nquad, inStepBytes, cBytes int, lo, hi float32)
//
// Four pixels at a time, blocks of 8 channels: each filter load serves
// four FMA chains, one per pixel, so layers of few channels are not
// bound by one chain's FMA latency per tap.
TEXT ·dwRowF32Q4AVX2(SB), NOSPLIT, $0-96
	MOVQ         out+0(FP), DI
	MOVQ         in+8(FP), SI
	MOVQ         nquad+64(FP), CX
	MOVQ         inStepBytes+72(FP), BX
	VBROADCASTSS lo+88(FP), Y14
	VBROADCASTSS hi+92(FP), Y15

q4quad:
	XORQ R8, R8

q4blk:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   taps+16(FP), R9
	MOVQ   ftaps+24(FP), DX
	XORQ   R10, R10
	MOVQ   f+40(FP), R11
	ADDQ   R8, R11
	LEAQ   (SI)(R8*1), AX

q4tap:
	MOVQ        (DX)(R10*8), R13
	VMOVUPS     (R11)(R13*4), Y4
	MOVQ        (R9)(R10*8), R12
	LEAQ        (AX)(R12*4), R12
	VFMADD231PS (R12), Y4, Y0
	VFMADD231PS (R12)(BX*1), Y4, Y1
	VFMADD231PS (R12)(BX*2), Y4, Y2
	LEAQ        (R12)(BX*2), R13
	VFMADD231PS (R13)(BX*1), Y4, Y3
	INCQ        R10
	CMPQ        R10, ntaps+32(FP)
	JLT         q4tap

	MOVQ    bias+48(FP), DX
	VMOVUPS (DX)(R8*1), Y4
	VADDPS  Y4, Y0, Y0
	VADDPS  Y4, Y1, Y1
	VADDPS  Y4, Y2, Y2
	VADDPS  Y4, Y3, Y3
	VMAXPS  Y0, Y14, Y0
	VMAXPS  Y1, Y14, Y1
	VMAXPS  Y2, Y14, Y2
	VMAXPS  Y3, Y14, Y3
	VMINPS  Y0, Y15, Y0
	VMINPS  Y1, Y15, Y1
	VMINPS  Y2, Y15, Y2
	VMINPS  Y3, Y15, Y3
	MOVQ    cBytes+80(FP), R12
	LEAQ    (DI)(R8*1), R13
	VMOVUPS Y0, (R13)
	VMOVUPS Y1, (R13)(R12*1)
	VMOVUPS Y2, (R13)(R12*2)
	LEAQ    (R13)(R12*2), R13
	VMOVUPS Y3, (R13)(R12*1)
	ADDQ    $32, R8
	CMPQ    R8, b8Bytes+56(FP)
	JLT     q4blk

	LEAQ (SI)(BX*4), SI
	MOVQ cBytes+80(FP), R12
	LEAQ (DI)(R12*4), DI
	DECQ CX
	JNZ  q4quad
	VZEROUPPER
	RET
