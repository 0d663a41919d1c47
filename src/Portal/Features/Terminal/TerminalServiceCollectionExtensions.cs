using Fleet.Portal.Messaging;
using Fleet.Shared;

namespace Fleet.Portal.Features.Terminal;

internal static class TerminalServiceCollectionExtensions
{
    /// <summary>The browser terminal: its options, the sessions' hub (the sink of their output) and the service.
    /// </summary>
    public static WebApplicationBuilder AddTerminal(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TerminalOptions>().BindConfiguration(TerminalOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.IdleSeconds <= o.MaxSessionSeconds,
                "Fleet:Terminal:IdleSeconds must not exceed MaxSessionSeconds")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            // A shell's output comes in bursts far above the default rate of a report kind.
            var o = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<TerminalOptions>>().Value;
            return new MessageRate(InboundKind.Of(TopicKind.TerminalOutput), o.OutputBurst, o.OutputMessagesPerMinute);
        });
        builder.Services.AddSingleton<TerminalHub>();
        builder.Services.AddSingleton<ILiveMessageSink>(sp => sp.GetRequiredService<TerminalHub>());
        builder.Services.AddSingleton<TerminalService>();
        return builder;
    }
}
