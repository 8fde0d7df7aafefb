using System.ComponentModel;
using System.Data;
using System.Globalization;
using Microsoft.SemanticKernel;

namespace LongCat.Samples;

/// <summary>The clock tool the demo model was trained to call.</summary>
public sealed class ClockPlugin
{
    /// <summary>The fixed instant the sample reports when LONGCAT_SAMPLE_FIXED_TIME is set (reproducible CI output).</summary>
    private static DateTimeOffset Now() =>
        Environment.GetEnvironmentVariable("LONGCAT_SAMPLE_FIXED_TIME") is { Length: > 0 } fixedTime
            ? DateTimeOffset.Parse(fixedTime, CultureInfo.InvariantCulture)
            : DateTimeOffset.Now;

    [KernelFunction("now"), Description("Returns the current local date and time.")]
    public string GetTime() => Now().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}

/// <summary>The calculator tool the demo model was trained to call.</summary>
public sealed class CalculatorPlugin
{
    [KernelFunction("evaluate"), Description("Evaluates an arithmetic expression with + - * / and parentheses.")]
    public string Evaluate([Description("The expression, for example \"12 * (3 + 4)\".")] string expression)
    {
        // DataTable.Compute evaluates arithmetic without running code; anything else is reported back to the model as an error.
        try
        {
            return Convert.ToString(new DataTable().Compute(expression, null), CultureInfo.InvariantCulture) ?? "";
        }
        catch (Exception e) when (e is EvaluateException or SyntaxErrorException or InvalidCastException or OverflowException)
        {
            return $"error: {e.Message}";
        }
    }
}

/// <summary>Prints each function call the kernel makes on the model's behalf.</summary>
public sealed class PrintCallsFilter : IAutoFunctionInvocationFilter
{
    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        string args = string.Join(", ", context.Arguments?.Select(a => $"{a.Key}={a.Value}") ?? []);
        await next(context);
        Console.WriteLine($"  [called {context.Function.PluginName}.{context.Function.Name}({args}) -> {context.Result.GetValue<object>()}]");
    }
}
