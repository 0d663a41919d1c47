await Fleet.Portal.PortalApp.Build(args).RunAsync();
