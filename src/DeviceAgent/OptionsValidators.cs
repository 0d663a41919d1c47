using System.Diagnostics.CodeAnalysis;
using Fleet.DeviceAgent.AgentUpdates;
using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Tpm;
using Fleet.DeviceAgent.Updates;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent;

/// <summary>
/// The agent's options checked against their data annotations by source-generated validators: the native (AOT) agent
/// cannot use the reflection-based <c>ValidateDataAnnotations</c>. The messages are the same.
/// </summary>
internal static class OptionsValidation
{
    /// <summary>Validates <typeparamref name="TOptions"/> with <typeparamref name="TValidator"/> when the host starts.
    /// </summary>
    public static OptionsBuilder<TOptions> ValidateWith<
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(
        this OptionsBuilder<TOptions> builder)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        builder.Services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return builder.ValidateOnStart();
    }
}

[OptionsValidator]
internal sealed partial class AgentOptionsValidator : IValidateOptions<AgentOptions>;

[OptionsValidator]
internal sealed partial class TpmOptionsValidator : IValidateOptions<TpmOptions>;

[OptionsValidator]
internal sealed partial class UpdateAgentOptionsValidator : IValidateOptions<UpdateAgentOptions>;

[OptionsValidator]
internal sealed partial class ConfigAgentOptionsValidator : IValidateOptions<ConfigAgentOptions>;

[OptionsValidator]
internal sealed partial class TerminalAgentOptionsValidator : IValidateOptions<Terminal.TerminalAgentOptions>;

[OptionsValidator]
internal sealed partial class HealthAgentOptionsValidator : IValidateOptions<HealthAgentOptions>;

[OptionsValidator]
internal sealed partial class SelfUpdateOptionsValidator : IValidateOptions<SelfUpdateOptions>;
