// Work cut into slices runs each slice in a task of its own, so frames can be painted between
// them. setTimeout(fn, 0) makes such a task, but browsers clamp a chain of them (nested five
// deep) to 4 ms apart: slices of 8 ms then leave the main thread idle a third of the time. A
// MessageChannel message is a task too and has no such clamp; `nextTask` uses one in a browser,
// and setTimeout elsewhere (jsdom, where the tests' fake timers drive the slices).

type Job = () => void;

function messagesUsable(): boolean {
  if (typeof MessageChannel !== "function" || typeof window === "undefined") return false;
  const agent = typeof navigator !== "undefined" ? navigator.userAgent : "";
  return !/jsdom/i.test(agent);
}

/** A `nextTask`: by MessageChannel messages (`messages`) or by setTimeout(0). */
export function taskRunner(messages: boolean): (job: Job) => void {
  if (!messages) return (job) => void setTimeout(job, 0);
  let channel: MessageChannel | null = null;
  const jobs: Job[] = [];
  return (job) => {
    if (channel === null) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const next = jobs.shift();
        if (next) next();
      };
      (channel.port1 as unknown as { unref?: () => void }).unref?.(); // Node: never keeps a process alive
    }
    jobs.push(job);
    channel.port2.postMessage(null);
  };
}

/** Run `job` soon, in a task of its own (after the tasks already queued). */
export const nextTask = taskRunner(messagesUsable());
