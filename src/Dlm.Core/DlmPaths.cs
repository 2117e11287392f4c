namespace Dlm.Core;

/// <summary>Where dlm keeps its own data on this machine.</summary>
public static class DlmPaths
{
    /// <summary>
    /// The dlm home folder: <c>$DLM_HOME</c> when set, otherwise <c>~/.dlm</c>.
    /// Nothing is created by reading this.
    /// </summary>
    public static string Home
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("DLM_HOME");
            if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dlm");
        }
    }
}
