using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>Four floats loaded or stored as one 16-byte access (PTX <c>ld.global.v4.f32</c> on aligned views).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 16)]
internal struct Float4
{
    public float X, Y, Z, W;

    public Float4(float x, float y, float z, float w)
    {
        X = x; Y = y; Z = z; W = w;
    }

    public static Float4 Splat(float v) => new(v, v, v, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(Float4 a, Float4 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z + a.W * b.W;

    /// <summary>acc + s·v, per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float4 Fma(float s, Float4 v, Float4 acc) => new(acc.X + s * v.X, acc.Y + s * v.Y, acc.Z + s * v.Z, acc.W + s * v.W);

    /// <summary>acc + a·b, per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float4 Fma(Float4 a, Float4 b, Float4 acc) => new(acc.X + a.X * b.X, acc.Y + a.Y * b.Y, acc.Z + a.Z * b.Z, acc.W + a.W * b.W);

    public static Float4 operator +(Float4 a, Float4 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z, a.W + b.W);
    public static Float4 operator *(Float4 a, float s) => new(a.X * s, a.Y * s, a.Z * s, a.W * s);
    public static Float4 operator *(Float4 a, Float4 b) => new(a.X * b.X, a.Y * b.Y, a.Z * b.Z, a.W * b.W);

    /// <summary>Lane <paramref name="i"/> (0..3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Get(int i) => i == 0 ? X : i == 1 ? Y : i == 2 ? Z : W;
}
