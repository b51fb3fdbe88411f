/// `GET /`: the chat page, one self-contained HTML file (plain JavaScript, nothing loaded from
/// elsewhere). It asks `POST /v1/chat/completions` with `stream: true` and shows the answer as
/// its tokens arrive, with the model's confidence and the question it was asked as. A language
/// model's page continues text (`/v1/completions`); a classifier's labels it (`/v1/classify`).
enum ChatPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lstmchat</title>
<style>
  body { font: 16px/1.45 system-ui, sans-serif; margin: 0; background: #f4f4f1; color: #222; }
  main { max-width: 44rem; margin: 0 auto; padding: 1rem; display: flex; flex-direction: column; height: 100vh; box-sizing: border-box; }
  header { display: flex; justify-content: space-between; align-items: baseline; }
  h1 { font-size: 1.2rem; margin: .2rem 0 .6rem; }
  #model { color: #666; font-size: .85rem; }
  #log { flex: 1; overflow-y: auto; padding: .5rem 0; }
  .turn { margin: .5rem 0; display: flex; flex-direction: column; }
  .you { align-self: flex-end; background: #2d6cdf; color: #fff; border-radius: 1rem 1rem .2rem 1rem; padding: .45rem .8rem; max-width: 80%; white-space: pre-wrap; }
  .bot { align-self: flex-start; background: #fff; border: 1px solid #ddd; border-radius: 1rem 1rem 1rem .2rem; padding: .45rem .8rem; max-width: 80%; white-space: pre-wrap; }
  .bot.fallback { color: #777; font-style: italic; }
  .note { align-self: flex-start; color: #777; font-size: .8rem; margin: .15rem .5rem; }
  .error { color: #b00020; }
  form { display: flex; gap: .5rem; padding-top: .5rem; }
  #question { flex: 1; font: inherit; padding: .55rem .8rem; border: 1px solid #bbb; border-radius: .5rem; }
  button { font: inherit; padding: .55rem 1rem; border: 0; border-radius: .5rem; background: #2d6cdf; color: #fff; cursor: pointer; }
  button:disabled { background: #9ab; }
  #key { display: none; font: inherit; padding: .3rem .6rem; margin-bottom: .5rem; }
</style>
</head>
<body>
<main>
  <header><h1>lstmchat</h1><span id="model"></span></header>
  <input id="key" type="password" placeholder="API key (the server wants one)" autocomplete="off">
  <div id="log" aria-live="polite"></div>
  <form id="ask">
    <input id="question" autocomplete="off" autofocus placeholder="Ask a question" maxlength="10000">
    <button id="send" type="submit">Send</button>
  </form>
</main>
<script>
"use strict";
const log = document.getElementById("log"), form = document.getElementById("ask");
const input = document.getElementById("question"), send = document.getElementById("send"), keyInput = document.getElementById("key");
let task = "seq2seq";
keyInput.value = localStorage.getItem("lstmchatKey") || "";
keyInput.addEventListener("change", () => localStorage.setItem("lstmchatKey", keyInput.value));

function add(kind, text) {
  const turn = document.createElement("div");
  turn.className = "turn";
  const bubble = document.createElement("div");
  bubble.className = kind;
  bubble.textContent = text;
  turn.appendChild(bubble);
  log.appendChild(turn);
  log.scrollTop = log.scrollHeight;
  return {turn, bubble};
}

function note(turn, text, kind) {
  const line = document.createElement("div");
  line.className = "note" + (kind ? " " + kind : "");
  line.textContent = text;
  turn.appendChild(line);
}

function headers() {
  const h = {"Content-Type": "application/json"};
  if (keyInput.value) h["Authorization"] = "Bearer " + keyInput.value;
  return h;
}

async function failure(response) {
  if (response.status === 401) keyInput.style.display = "block";
  try { return (await response.json()).error.message; } catch (e) { return "HTTP " + response.status; }
}

// The answer streamed token by token (server-sent events); the confidence comes with the last one.
async function chat(question, answer) {
  const response = await fetch("/v1/chat/completions", {method: "POST", headers: headers(),
    body: JSON.stringify({messages: [{role: "user", content: question}], stream: true})});
  if (!response.ok) throw new Error(await failure(response));
  const reader = response.body.getReader(), decoder = new TextDecoder();
  let buffered = "", info = null;
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, {stream: true});
    let end;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const event = buffered.slice(0, end); buffered = buffered.slice(end + 2);
      if (!event.startsWith("data: ")) continue;
      const data = event.slice(6);
      if (data === "[DONE]") continue;
      const chunk = JSON.parse(data);
      if (!info && chunk.lstmchat) info = chunk.lstmchat;
      const delta = chunk.choices.length ? chunk.choices[0].delta : {};
      if (delta.content) { answer.bubble.textContent += delta.content; log.scrollTop = log.scrollHeight; }
    }
  }
  if (info) {
    if (info.fallback) answer.bubble.classList.add("fallback");
    note(answer.turn, "confidence " + info.confidence.toFixed(2) + (info.asked_as ? " · asked as: " + info.asked_as : ""));
  }
}

async function complete(text, answer) {
  const response = await fetch("/v1/completions", {method: "POST", headers: headers(), body: JSON.stringify({prompt: text})});
  if (!response.ok) throw new Error(await failure(response));
  answer.bubble.textContent = text + (await response.json()).choices[0].text;
}

async function classify(text, answer) {
  const response = await fetch("/v1/classify", {method: "POST", headers: headers(), body: JSON.stringify({text: text, top: 3})});
  if (!response.ok) throw new Error(await failure(response));
  const labels = (await response.json()).labels;
  answer.bubble.textContent = labels[0].label;
  note(answer.turn, labels.map(l => l.label + " " + l.probability.toFixed(2)).join(" · "));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const question = input.value;
  if (!question.trim()) return;
  input.value = "";
  send.disabled = true;
  add("you", question);
  const answer = add("bot", "");
  try {
    await (task === "lm" ? complete : task === "classify" ? classify : chat)(question, answer);
  } catch (error) {
    answer.bubble.remove();
    note(answer.turn, error.message, "error");
  }
  send.disabled = false;
  input.focus();
});

fetch("/health").then(r => r.json()).then(health => {
  task = health.task;
  document.getElementById("model").textContent = health.model + " · " + health.task;
  if (health.auth && !keyInput.value) keyInput.style.display = "block";
  input.placeholder = task === "lm" ? "Start a text to continue" : task === "classify" ? "A text to label" : "Ask a question";
}).catch(() => {});
</script>
</body>
</html>
"""#
}
