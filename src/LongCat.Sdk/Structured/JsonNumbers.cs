using System.Numerics;

namespace LongCat.Sdk.Structured;

/// <summary>
/// JSON numerals as grammar expressions: any number, and integers or decimals within bounds, exactly. Integers are canonical
/// (no leading zeros, no "-0"); a bounded number is written without an exponent (integer part and optional fraction, whose
/// digits are compared with the bounds digit by digit).
/// </summary>
/// <remarks>
/// Where the schema sets no bound on a side, values stay within ±(10^16 − 1) (llama.cpp's cap): at most 16 integer digits,
/// and for an unbounded number at most 12 fraction digits and a one-digit exponent, so every number written fits a
/// <see cref="long"/> (integers), a <see cref="double"/> and a <see cref="decimal"/> (what deserializers and validators parse
/// into).
/// </remarks>
internal static class JsonNumbers
{
    private static readonly GrammarExpr Digit = GrammarExpr.ByteRange('0', '9');
    private static readonly GrammarExpr Digits = GrammarExpr.Plus(Digit);

    /// <summary>The largest magnitude written where no bound says otherwise: 16 digits.</summary>
    public static readonly BigInteger Limit = BigInteger.Pow(10, 16) - 1;

    /// <summary>Canonical integers of up to 16 digits: <c>0|-?[1-9][0-9]{0,15}</c>.</summary>
    public static GrammarExpr AnyInteger { get; } = Integer(null, null);

    /// <summary>A JSON number: <c>-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,12})?([eE][+-]?[0-9])?</c>.</summary>
    public static GrammarExpr AnyNumber { get; } = GrammarExpr.Sequence(
        GrammarExpr.Optional(GrammarExpr.Byte((byte)'-')), NonNegativeInteger(0, Limit),
        GrammarExpr.Optional(GrammarExpr.Sequence(GrammarExpr.Byte((byte)'.'), GrammarExpr.Repeat(Digit, 1, 12))),
        GrammarExpr.Optional(GrammarExpr.Sequence(GrammarExpr.Bytes(ByteSet.Of((byte)'e').Union(ByteSet.Of((byte)'E'))),
            GrammarExpr.Optional(GrammarExpr.Bytes(ByteSet.Of((byte)'+').Union(ByteSet.Of((byte)'-')))), Digit)));

    /// <summary>Integers in [<paramref name="lo"/>, <paramref name="hi"/>] (null: 10^16 − 1 past the other bound, or 0).</summary>
    public static GrammarExpr Integer(BigInteger? lo, BigInteger? hi)
    {
        var low = lo ?? (hi is { } top ? BigInteger.Min(-Limit, top - Limit) : -Limit);
        var high = hi ?? BigInteger.Max(Limit, low + Limit);
        if (low > high) return GrammarExpr.Never;
        var parts = new List<GrammarExpr>();
        if (high >= 0) parts.Add(NonNegativeInteger(BigInteger.Max(low, 0), high));
        if (low < 0) parts.Add(GrammarExpr.Sequence(GrammarExpr.Byte((byte)'-'), NonNegativeInteger(high < 0 ? -high : 1, -low)));
        return GrammarExpr.Choice(parts);
    }

    /// <summary>Decimals between the bounds (null: 10^16 past the other bound, or 0), written without an exponent.</summary>
    public static GrammarExpr Number(ExactDecimal? lo, bool loExclusive, ExactDecimal? hi, bool hiExclusive)
    {
        if (lo is null && hi is null) return AnyNumber;
        var low = lo ?? ExactDecimal.Of(BigInteger.Min(-Limit, hi!.Floor - Limit));
        var high = hi ?? ExactDecimal.Of(BigInteger.Max(Limit, low.Ceiling + Limit));
        var parts = new List<GrammarExpr>();
        if (!high.Negative)
            parts.Add(low.Negative ? NonNegative(ExactDecimal.Zero, false, high, hiExclusive) : NonNegative(low, loExclusive, high, hiExclusive));
        if (low.Negative)                                     // x < 0 as '-' and |x| > 0 (no "-0")
            parts.Add(GrammarExpr.Sequence(GrammarExpr.Byte((byte)'-'),
                high.Negative ? NonNegative(high.Abs, hiExclusive, low.Abs, loExclusive) : NonNegative(ExactDecimal.Zero, true, low.Abs, loExclusive)));
        return GrammarExpr.Choice(parts);
    }

    // Non-negative decimals "I" or "I.F" in the interval; lo, hi ≥ 0.
    private static GrammarExpr NonNegative(ExactDecimal lo, bool loStrict, ExactDecimal? hi, bool hiStrict)
    {
        if (hi is not null)
        {
            int c = lo.CompareTo(hi);
            if (c > 0 || (c == 0 && (loStrict || hiStrict))) return GrammarExpr.Never;
        }
        var anyFraction = GrammarExpr.Optional(GrammarExpr.Sequence(GrammarExpr.Byte((byte)'.'), Digits));
        bool lowWhole = lo.Fraction.Length == 0 && !loStrict;          // the integer lo.Integer itself is ≥ lo
        if (hi is null)
            return GrammarExpr.Choice(
                GrammarExpr.Sequence(Literal(lo.Integer), Fraction(lo.Fraction, loStrict, null, false, lowWhole)),
                GrammarExpr.Sequence(NonNegativeInteger(lo.Integer + 1, null), anyFraction));
        bool highWhole = hi.Fraction.Length > 0 || !hiStrict;           // the integer hi.Integer itself is ≤ hi
        if (lo.Integer == hi.Integer)
            return GrammarExpr.Sequence(Literal(lo.Integer), Fraction(lo.Fraction, loStrict, hi.Fraction, hiStrict, lowWhole && highWhole));
        return GrammarExpr.Choice(
            GrammarExpr.Sequence(Literal(lo.Integer), Fraction(lo.Fraction, loStrict, null, false, lowWhole)),
            lo.Integer + 1 <= hi.Integer - 1 ? GrammarExpr.Sequence(NonNegativeInteger(lo.Integer + 1, hi.Integer - 1), anyFraction) : GrammarExpr.Never,
            GrammarExpr.Sequence(Literal(hi.Integer), Fraction("", false, hi.Fraction, hiStrict, highWhole)));
    }

    // An optional fraction ".F" with a ≤ 0.F ≤ b (strict where asked; b null: no upper bound), or none when whole is allowed.
    private static GrammarExpr Fraction(string a, bool aStrict, string? b, bool bStrict, bool whole)
    {
        var memo = new Dictionary<(int, bool, bool), GrammarExpr>();
        var digits = Node(0, true, b is not null);
        return GrammarExpr.Choice(whole ? GrammarExpr.Empty : GrammarExpr.Never, GrammarExpr.Sequence(GrammarExpr.Byte((byte)'.'), digits));

        int A(int i) => i < a.Length ? a[i] - '0' : 0;
        int B(int i) => i < b!.Length ? b[i] - '0' : 0;

        // The digits from position i on, given that those before equal a's (tightLow) or b's (tightHigh).
        GrammarExpr Node(int i, bool tightLow, bool tightHigh)
        {
            if (memo.TryGetValue((i, tightLow, tightHigh), out var done)) return done;
            GrammarExpr result;
            if (i >= a.Length && (!tightHigh || i >= b!.Length)) result = Tail(i == 0, tightLow, tightHigh);
            else
            {
                var parts = new List<GrammarExpr>();
                if (i > 0 && CanEnd(i, tightLow, tightHigh)) parts.Add(GrammarExpr.Empty);
                int lo = tightLow ? A(i) : 0, hi = tightHigh ? B(i) : 9;
                if (lo <= hi)
                {
                    if (tightLow) parts.Add(GrammarExpr.Sequence(GrammarExpr.Byte((byte)('0' + lo)), Node(i + 1, true, tightHigh && lo == hi)));
                    if (tightHigh && !(tightLow && lo == hi)) parts.Add(GrammarExpr.Sequence(GrammarExpr.Byte((byte)('0' + hi)), Node(i + 1, false, true)));
                    int freeLo = tightLow ? lo + 1 : lo, freeHi = tightHigh ? hi - 1 : hi;
                    if (freeLo <= freeHi) parts.Add(GrammarExpr.Sequence(GrammarExpr.ByteRange('0' + freeLo, '0' + freeHi), GrammarExpr.Star(Digit)));
                }
                result = GrammarExpr.Choice(parts);
            }
            return memo[(i, tightLow, tightHigh)] = result;
        }

        bool CanEnd(int i, bool tightLow, bool tightHigh)
        {
            bool lowOk = !tightLow || (a.AsSpan(Math.Min(i, a.Length)).IndexOfAnyExcept('0') < 0 && !aStrict);
            bool highOk = !tightHigh || b!.AsSpan(Math.Min(i, b!.Length)).IndexOfAnyExcept('0') >= 0 || !bStrict;
            return lowOk && highOk;
        }

        // Past both bounds' digits (the rest of each is zeros): what may follow.
        GrammarExpr Tail(bool atStart, bool tightLow, bool tightHigh)
        {
            var zeros = atStart ? GrammarExpr.Plus(GrammarExpr.Byte((byte)'0')) : GrammarExpr.Star(GrammarExpr.Byte((byte)'0'));
            var nonZero = GrammarExpr.Sequence(GrammarExpr.Star(GrammarExpr.Byte((byte)'0')), GrammarExpr.ByteRange('1', '9'), GrammarExpr.Star(Digit));
            return (tightLow, tightHigh) switch
            {
                (false, false) => atStart ? Digits : GrammarExpr.Star(Digit),
                (true, false) => aStrict ? nonZero : atStart ? Digits : GrammarExpr.Star(Digit),
                (false, true) => bStrict ? GrammarExpr.Never : zeros,
                (true, true) => aStrict || bStrict ? GrammarExpr.Never : zeros,
            };
        }
    }

    /// <summary>Canonical integers in [<paramref name="lo"/>, <paramref name="hi"/>] (lo ≥ 0; hi null: unbounded).</summary>
    private static GrammarExpr NonNegativeInteger(BigInteger lo, BigInteger? hi)
    {
        if (lo > hi) return GrammarExpr.Never;
        string low = lo.ToString();
        int maxLength = hi is { } h ? h.ToString().Length : low.Length;
        var parts = new List<GrammarExpr>();
        for (int length = low.Length; length <= maxLength; length++)
        {
            string from = length == low.Length ? low : "1" + new string('0', length - 1);
            string to = hi is { } top && length == maxLength ? top.ToString() : new string('9', length);
            parts.Add(SameLength(from, to));
        }
        if (hi is null)                                           // longer than lo: any digits
            parts.Add(GrammarExpr.Sequence(GrammarExpr.ByteRange('1', '9'), GrammarExpr.Repeat(Digit, low.Length, -1)));
        return GrammarExpr.Choice(parts);
    }

    // Digit strings of one length between from and to (numerically = lexicographically).
    private static GrammarExpr SameLength(string from, string to)
    {
        if (from.Length == 0) return GrammarExpr.Empty;
        if (from == to) return GrammarExpr.Literal(from);
        if (from[0] == to[0]) return GrammarExpr.Sequence(GrammarExpr.Byte((byte)from[0]), SameLength(from[1..], to[1..]));
        var parts = new List<GrammarExpr>();
        string fromRest = from[1..], toRest = to[1..];
        int midLo = from[0], midHi = to[0];
        if (fromRest.Any(c => c != '0'))
        {
            parts.Add(GrammarExpr.Sequence(GrammarExpr.Byte((byte)from[0]), SameLength(fromRest, new string('9', fromRest.Length))));
            midLo++;
        }
        if (toRest.Any(c => c != '9'))
        {
            parts.Add(GrammarExpr.Sequence(GrammarExpr.Byte((byte)to[0]), SameLength(new string('0', toRest.Length), toRest)));
            midHi--;
        }
        if (midLo <= midHi) parts.Add(GrammarExpr.Sequence(GrammarExpr.ByteRange(midLo, midHi), GrammarExpr.Repeat(Digit, fromRest.Length, fromRest.Length)));
        return GrammarExpr.Choice(parts);
    }

    private static GrammarExpr Literal(BigInteger value) => GrammarExpr.Literal(value.ToString());
}

/// <summary>A JSON number's exact value as sign, integer part and fraction digits (no trailing zeros): bounds compared digit by digit.</summary>
internal sealed record ExactDecimal(bool Negative, BigInteger Integer, string Fraction) : IComparable<ExactDecimal>
{
    public static ExactDecimal Zero { get; } = new(false, BigInteger.Zero, "");

    public ExactDecimal Abs => this with { Negative = false };

    public static ExactDecimal Of(BigInteger value) => new(value.Sign < 0, BigInteger.Abs(value), "");

    /// <summary>Largest integer ≤ the value.</summary>
    public BigInteger Floor => Negative ? -(Integer + (Fraction.Length > 0 ? 1 : 0)) : Integer;

    /// <summary>Smallest integer ≥ the value.</summary>
    public BigInteger Ceiling => Negative ? -Integer : Integer + (Fraction.Length > 0 ? 1 : 0);

    /// <summary>Reads a JSON number's text exactly; null when its exponent is beyond ±1000.</summary>
    public static ExactDecimal? Parse(string text)
    {
        bool negative = text.StartsWith('-');
        string body = negative ? text[1..] : text;
        int e = body.IndexOfAny(['e', 'E']);
        int exponent = 0;
        if (e >= 0)
        {
            if (!int.TryParse(body[(e + 1)..], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out exponent)
                || Math.Abs(exponent) > 1000) return null;
            body = body[..e];
        }
        int dot = body.IndexOf('.');
        string digits = dot < 0 ? body : body[..dot] + body[(dot + 1)..];
        int point = (dot < 0 ? body.Length : dot) + exponent;          // digits before the decimal point
        if (point < 0) { digits = new string('0', -point) + digits; point = 0; }
        if (point > digits.Length) digits += new string('0', point - digits.Length);
        var integer = point == 0 ? BigInteger.Zero : BigInteger.Parse(digits[..point], System.Globalization.CultureInfo.InvariantCulture);
        string fraction = digits[point..].TrimEnd('0');
        bool zero = integer.IsZero && fraction.Length == 0;
        return new ExactDecimal(negative && !zero, integer, fraction);
    }

    public int CompareTo(ExactDecimal? other)
    {
        if (other is null) return 1;
        if (Negative != other.Negative) return Negative ? -1 : 1;
        int magnitude = Integer != other.Integer ? Integer.CompareTo(other.Integer) : string.CompareOrdinal(Fraction, other.Fraction);
        return Negative ? -magnitude : magnitude;
    }
}
