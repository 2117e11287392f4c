using System.Text.Json.Nodes;
using Dlm.TestSupport;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Dlm.Serve.Tests;

/// <summary>
/// The chat page in a real browser: Debian's headless Chromium driven by Selenium WebDriver. Types a
/// message, sees the streamed reply, sends a second turn (the conversation is kept), picks a reply
/// token for its attention, and writes a screenshot to artifacts/serve/chat-page.png.
/// </summary>
[Collection(ServeGroup.Name)]
public sealed class ChatPageBrowserTests(ServeFixture f)
{
    private const string Chromium = "/usr/bin/chromium", Driver = "/usr/bin/chromedriver";

    public static string ScreenshotPath => Path.Combine(RepoPaths.Root, "artifacts", "serve", "chat-page.png");

    private static ChromeDriver StartBrowser(string profile)
    {
        if (!File.Exists(Chromium) || !File.Exists(Driver))
            Assert.Fail($"headless Chromium is needed for the chat page test: {Chromium} and {Driver} are missing. " +
                "Install them as root with apt-get install chromium chromium-driver (tools/reference/setup.sh does).");
        Environment.SetEnvironmentVariable("SE_OFFLINE", "true"); // Selenium Manager must not go to the network
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}", "--window-size=1280,860");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private async Task<string> Reply(params (string Role, string Content)[] messages)
    {
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray()),
            ["temperature"] = 0, ["top_p"] = 1, ["top_k"] = -1, ["max_tokens"] = 20,
        };
        var (status, json) = await f.PostAsync("/v1/chat/completions", body.ToJsonString());
        Assert.Equal(200, status);
        return json!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
    }

    // Waits; on a timeout the screenshot and the page's error line go with the failure.
    private static void Until(ChromeDriver browser, WebDriverWait wait, Func<IWebDriver, bool> condition)
    {
        try
        {
            wait.Until(condition);
        }
        catch (WebDriverTimeoutException)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
            browser.GetScreenshot().SaveAsFile(ScreenshotPath.Replace(".png", "-failed.png", StringComparison.Ordinal));
            Assert.Fail($"the page did not get there; its error line: '{browser.FindElement(By.Id("error")).Text}', " +
                $"screenshot {ScreenshotPath.Replace(".png", "-failed.png", StringComparison.Ordinal)}");
        }
    }

    [Fact]
    public async Task Type_a_message_see_the_streamed_reply_keep_the_conversation_and_show_attention()
    {
        var profile = Directory.CreateTempSubdirectory("dlm-chromium-").FullName;
        try
        {
            using var browser = StartBrowser(profile);
            var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
            await browser.Navigate().GoToUrlAsync(f.Base.ToString());
            Until(browser, wait, d => d.FindElement(By.Id("model")).Text.Contains(f.Served.Id, StringComparison.Ordinal));
            void Set(string id, string value)
            {
                var e = browser.FindElement(By.Id(id));
                e.Clear();
                e.SendKeys(value);
            }
            Set("temperature", "0");
            Set("max_tokens", "20");

            var input = browser.FindElement(By.Id("input"));
            input.SendKeys("Hello jury");
            input.SendKeys(Keys.Enter);
            Until(browser, wait, d => d.FindElements(By.CssSelector(".msg.assistant[data-done]")).Count == 1);
            var first = browser.FindElement(By.CssSelector(".msg.assistant"));
            Assert.Equal("true", first.GetDomAttribute("data-done"));
            var firstText = first.GetDomAttribute("data-text")!;
            Assert.Equal(await Reply(("user", "Hello jury")), firstText);
            Assert.NotEmpty(first.FindElements(By.CssSelector(".tok")));
            Assert.Contains("tokens/s", browser.FindElement(By.Id("stats")).Text);

            // A second turn carries the first: its reply is the server's reply to the whole conversation.
            input.SendKeys("And the county?");
            input.SendKeys(Keys.Enter);
            Until(browser, wait, d => d.FindElements(By.CssSelector(".msg.assistant[data-done]")).Count == 2);
            var second = browser.FindElements(By.CssSelector(".msg.assistant"))[1];
            Assert.Equal(await Reply(("user", "Hello jury"), ("assistant", firstText), ("user", "And the county?")), second.GetDomAttribute("data-text"));
            Assert.Equal(4, browser.FindElements(By.CssSelector(".msg")).Count);

            // Pick a reply token: the attention of the last layer over its context.
            var tokens = second.FindElements(By.CssSelector(".tok"));
            (tokens.FirstOrDefault(t => t.Text.Trim().Length > 0) ?? tokens[0]).Click();
            Until(browser, wait, d => d.FindElement(By.Id("attn")).Text.StartsWith("layer 1", StringComparison.Ordinal));
            Assert.NotEmpty(browser.FindElements(By.CssSelector("#attn .ctx")));

            Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
            browser.GetScreenshot().SaveAsFile(ScreenshotPath);
            Assert.True(new FileInfo(ScreenshotPath).Length > 10_000);
            browser.Quit();
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
