using Microsoft.Extensions.Options;

namespace LongCat.Sdk.Server;

/// <summary>Checks <see cref="LongCatServerOptions"/> when the host starts; the failure names the setting.</summary>
internal sealed class LongCatServerOptionsValidator : IValidateOptions<LongCatServerOptions>
{
    public ValidateOptionsResult Validate(string? name, LongCatServerOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail($"AddLongCatServer: {e.ParamName}: {ApiError.WithoutParameter(e)}");
        }
    }
}
