using System.Runtime.InteropServices;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// A random weight [rows, cols] in a stored format, as a <see cref="CpuTensor"/>, together with the exact float32 value of every
/// element decoded here independently of the library (FP8: with its 128×128 block scales applied).
/// </summary>
internal sealed unsafe class TestWeight : IDisposable
{
    private TestWeight(CpuTensor tensor, CpuTensor? scales, float[] values, CpuTensor? zeros = null)
    {
        Tensor = tensor;
        Scales = scales;
        Values = values;
        Zeros = zeros;
    }

    public CpuTensor Tensor { get; }
    public CpuTensor? Scales { get; }
    public CpuTensor? Zeros { get; }
    /// <summary>Row-major exact values.</summary>
    public float[] Values { get; }
    public int Rows => Tensor.Shape[0];
    public int Cols => Tensor.Shape[1];

    public ReadOnlySpan<float> Row(int r) => Values.AsSpan(r * Cols, Cols);

    public static TestWeight Create(DType dtype, int rows, int cols, Random random, float magnitude = 1f)
    {
        int n = rows * cols;
        var values = new float[n];
        CpuTensor? scales = null;
        CpuTensor tensor;
        if (dtype == DType.F8E4M3)
        {
            int bs = WeightFormats.Fp8BlockSize, br = (rows + bs - 1) / bs, bc = (cols + bs - 1) / bs;
            scales = CpuTensor.Allocate(DType.F32, [br, bc]);
            for (int i = 0; i < br * bc; i++) scales.F32[i] = magnitude * (0.5f + (float)random.NextDouble()) / 448f;
            var data = (byte*)NativeMemory.AlignedAlloc((nuint)n, 64);
            tensor = new CpuTensor(DType.F8E4M3, [rows, cols], data, owned: true) { BlockScales = scales };
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                {
                    byte b;
                    do b = (byte)random.Next(256); while ((b & 0x7F) == 0x7F);          // skip the two NaN codes
                    tensor.Data[r * cols + c] = b;
                    values[r * cols + c] = Fp8E4M3(b) * scales.F32[r / bs * bc + c / bs];
                }
            return new TestWeight(tensor, scales, values);
        }

        tensor = CpuTensor.Allocate(dtype, [rows, cols]);
        for (int i = 0; i < n; i++)
        {
            float v = magnitude * (float)(random.NextDouble() * 2 - 1);
            switch (dtype)
            {
                case DType.F32:
                    tensor.F32[i] = v;
                    values[i] = v;
                    break;
                case DType.BF16:
                    ushort bits = WeightFormats.FloatToBf16(v);
                    ((ushort*)tensor.Data)[i] = bits;
                    values[i] = BitConverter.Int32BitsToSingle(bits << 16);
                    break;
                case DType.F16:
                    ((Half*)tensor.Data)[i] = (Half)v;
                    values[i] = (float)(Half)v;
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
            }
        }
        return new TestWeight(tensor, null, values);
    }

    /// <summary>
    /// A random <see cref="DType.Q8"/> or <see cref="DType.Q4"/> weight: random codes (Q8 −127..127, Q4 0..15), F16 scales of
    /// either sign (Q8: positive, as the quantizer writes them) per <paramref name="groupSize"/> values, and for Q4 random zero
    /// points when <paramref name="withZeros"/> (else none: zero 8). Values are scale·(q − zero), exact in F32.
    /// </summary>
    public static TestWeight CreateQuantized(DType dtype, int rows, int cols, Random random, int groupSize = 32, bool withZeros = false, float magnitude = 1f)
    {
        int groups = cols / groupSize;
        var scales = CpuTensor.Allocate(DType.F16, [rows, groups]);
        var zeros = withZeros ? CpuTensor.Allocate(DType.U8, [rows, groups]) : null;
        var tensor = CpuTensor.Allocate(dtype, [rows, cols]);
        var tensorWithScales = new CpuTensor(dtype, [rows, cols], tensor.Data, owned: false, "test.quantized")
            { BlockScales = scales, Zeros = zeros, GroupSize = groupSize };
        var values = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            for (int g = 0; g < groups; g++)
            {
                float s = magnitude * (0.25f + (float)random.NextDouble()) / (dtype == DType.Q8 ? 127f : 8f);
                ((Half*)scales.Data)[r * groups + g] = (Half)(dtype == DType.Q4 && random.Next(4) == 0 ? -s : s);
                if (zeros is not null) zeros.Data[r * groups + g] = (byte)random.Next(16);
            }
            for (int c = 0; c < cols; c++)
            {
                int g = c / groupSize, q;
                if (dtype == DType.Q8)
                {
                    q = random.Next(-127, 128);
                    ((sbyte*)tensor.Data)[r * cols + c] = (sbyte)q;
                }
                else
                {
                    int code = random.Next(16);
                    int inBlock = c % 32;
                    byte* b = tensor.Data + r * (cols / 2) + c / 32 * 16 + inBlock % 16;
                    *b = (byte)(inBlock < 16 ? (*b & 0xF0) | code : (*b & 0x0F) | code << 4);
                    q = code - (zeros is null ? 8 : zeros.Data[r * groups + g]);
                }
                values[r * cols + c] = (float)((Half*)scales.Data)[r * groups + g] * q;
            }
        }
        return new TestWeight(tensorWithScales, scales, values, zeros) { _storage = tensor };
    }

    private CpuTensor? _storage;

    /// <summary>float8_e4m3fn decoded from its fields: bias 7, subnormals at exponent 0, S.1111.111 is NaN, no infinities.</summary>
    public static float Fp8E4M3(byte b)
    {
        int sign = b >> 7, exp = (b >> 3) & 0xF, man = b & 7;
        if (exp == 15 && man == 7) return float.NaN;
        double v = exp == 0 ? Math.ScaleB(man, -9) : Math.ScaleB(8 + man, exp - 10);
        return (float)(sign == 1 ? -v : v);
    }

    /// <summary>Random F32 values in [-1, 1).</summary>
    public static float[] Vector(int n, Random random)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }

    public void Dispose()
    {
        Tensor.Dispose();
        _storage?.Dispose();
        Scales?.Dispose();
        Zeros?.Dispose();
    }
}
