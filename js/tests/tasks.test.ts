// nextTask's MessageChannel runner: each job in a task of its own, in order, none lost.
import { describe, expect, it } from "vitest";
import { taskRunner } from "../src/tasks";

describe("taskRunner", () => {
  for (const messages of [true, false]) {
    it(`runs jobs later, in order, each chained one too (${messages ? "messages" : "setTimeout"})`, async () => {
      const next = taskRunner(messages);
      const seen: number[] = [];
      await new Promise<void>((done) => {
        const step = (k: number) => {
          seen.push(k);
          if (k < 30) next(() => step(k + 1)); // a chain deeper than setTimeout's five
          else done();
        };
        next(() => step(0));
        seen.push(-1); // the first job has not run yet: it waits for a task of its own
      });
      expect(seen).toEqual([-1, ...Array.from({ length: 31 }, (_, k) => k)]);
      const order: string[] = [];
      await new Promise<void>((done) => {
        next(() => order.push("a"));
        next(() => order.push("b"));
        next(() => { order.push("c"); done(); });
      });
      expect(order).toEqual(["a", "b", "c"]);
    });
  }
});
