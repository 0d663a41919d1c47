using Fleet.DeviceAgent;
using Fleet.DeviceAgent.AgentUpdates;
using Fleet.DeviceAgent.Simulation;

if (args.Length > 0 && args[0] == SimulateCommand.Name)
{
    return await SimulateCommand.RunAsync(args[1..]);
}

if (SelfUpdateCommand.Handles(args))
{
    return await SelfUpdateCommand.RunAsync(args);
}

// Content root next to the binary, so appsettings.json is found whatever the working directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddDeviceAgent();
using var host = builder.Build();
if (host.OptionsProblem() is { } problem)
{
    await Console.Error.WriteLineAsync($"fleet-agent: {problem}");
    return 2;
}

await host.RunAsync();
return 0;
