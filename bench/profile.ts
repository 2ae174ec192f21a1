/** `npx tsx bench/profile.ts <file.cpuprofile> [top]`: where a `node --cpu-prof` profile spent its CPU. */
import { formatSummary, summariseProfile } from './lib/profile';

const [file, top] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/profile.ts <file.cpuprofile> [top]');
  process.exit(64);
}
console.log(formatSummary(summariseProfile(file, Number(top ?? 15))));
