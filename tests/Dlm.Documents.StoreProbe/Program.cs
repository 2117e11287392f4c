using System.Globalization;
using Dlm.Core;
using Dlm.Documents.Store;

// Usage:
//   lock HOME DLM_ID HOLD_MS               take the lock, print "acquired PID", hold it HOLD_MS (-1: until stdin closes), release
//   commit HOME DLM_ID SOURCE PAUSE_MS     commit SOURCE as the next version, printing "copied FILE" after each file
//   run HOME DLM_ID SOURCE                 a whole run as the trainer makes it: begin, three logged steps, commit SOURCE, end
// A refused lock prints "refused: MESSAGE" and exits 3.
try
{
    var (verb, home, id) = (args[0], args[1], args[2]);
    var store = DocumentStore.At(id, home);
    using var held = store.AcquireLock();
    if (held.BrokeStale is { } msg) Console.WriteLine($"stale: {msg}");
    Console.WriteLine($"acquired {Environment.ProcessId}");
    Console.Out.Flush();
    if (verb == "lock")
    {
        int hold = int.Parse(args[3], CultureInfo.InvariantCulture);
        if (hold < 0) Console.In.ReadToEnd();
        else Thread.Sleep(hold);
    }
    else if (verb == "commit")
    {
        if (!store.Exists) store.OpenOrCreate(held, "smollm2-135m", "/probe.dlm");
        int pause = int.Parse(args[4], CultureInfo.InvariantCulture);
        var r = AdapterCommit.Commit(store, held, args[3], null, f =>
        {
            Console.WriteLine($"copied {f}");
            Console.Out.Flush();
            Thread.Sleep(pause);
        });
        Console.WriteLine($"committed v{r.Version:D4}");
    }
    else if (verb == "run")
    {
        if (!store.Exists) store.OpenOrCreate(held, "smollm2-135m", "/probe.dlm");
        using var run = store.BeginRun(held, seed: 42);
        double loss = 3.0;
        for (int step = 1; step <= 3; step++, loss *= 0.9)
            run.Log(new System.Text.Json.Nodes.JsonObject { ["step"] = step, ["loss"] = Math.Round(loss, 4) });
        var c = run.CommitAdapter(args[3]);
        run.End(c.Rejected ? RunStatus.Failed : RunStatus.Completed, 3, Math.Round(loss / 0.9, 4), null);
        Console.WriteLine($"run {run.RunId}: v{c.Version:D4}{(c.Rejected ? " rejected: " + c.Reason : "")}, log {run.LogPath}");
    }
    return 0;
}
catch (DlmException e)
{
    Console.WriteLine($"refused: {e.Message}");
    return 3;
}
