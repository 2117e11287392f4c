using System.CommandLine;
using Dlm.Cli;

return CliApp.Run(args);
