namespace LongCat.Sdk.Serving;

/// <summary>
/// PCG-XSH-RR 32-bit generator (O'Neill 2014; the reference <c>pcg32_random_r</c>). Written out
/// here because <see cref="System.Random"/> does not promise the same sequence across .NET versions: a seed must give
/// the same tokens on every run and machine.
/// </summary>
internal struct Pcg32
{
    private const ulong Multiplier = 6364136223846793005UL;

    /// <summary>The stream whose increment, <c>(stream &lt;&lt; 1) | 1</c>, is the reference's default 1442695040888963407.</summary>
    public const ulong DefaultStream = 721347520444481703UL;

    private readonly ulong _increment;
    private ulong _state;

    /// <summary>Seeds as the reference <c>pcg32_srandom_r(seed, stream)</c> does.</summary>
    public Pcg32(ulong seed, ulong stream = DefaultStream)
    {
        _increment = (stream << 1) | 1UL;
        _state = 0;
        NextUInt32();
        _state = unchecked(_state + seed);
        NextUInt32();
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt32()
    {
        ulong old = _state;
        _state = unchecked(old * Multiplier + _increment);
        uint xorShifted = (uint)(((old >> 18) ^ old) >> 27);
        int rot = (int)(old >> 59);
        return (xorShifted >> rot) | (xorShifted << (-rot & 31));
    }

    /// <summary>
    /// Skips <paramref name="delta"/> outputs in O(log delta) steps (Brown's LCG jump-ahead, as the reference
    /// <c>pcg32_advance_r</c>): output number n of a stream is reachable without drawing the n before it.
    /// </summary>
    public void Advance(ulong delta)
    {
        ulong accMult = 1, accPlus = 0, curMult = Multiplier, curPlus = _increment;
        while (delta > 0)
        {
            if ((delta & 1) != 0)
            {
                accMult = unchecked(accMult * curMult);
                accPlus = unchecked(accPlus * curMult + curPlus);
            }
            curPlus = unchecked((curMult + 1) * curPlus);
            curMult = unchecked(curMult * curMult);
            delta >>= 1;
        }
        _state = unchecked(accMult * _state + accPlus);
    }

    /// <summary>A double uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble()
    {
        ulong bits = ((ulong)NextUInt32() << 21) ^ (NextUInt32() >> 11);
        return bits * (1.0 / (1UL << 53));
    }
}
