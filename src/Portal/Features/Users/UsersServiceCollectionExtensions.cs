namespace Fleet.Portal.Features.Users;

internal static class UsersServiceCollectionExtensions
{
    public static WebApplicationBuilder AddUsers(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserService>();
        return builder;
    }
}
