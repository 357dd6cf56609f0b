import { resolve } from 'node:path';
import type { Command } from 'commander';
import { migrate } from '../../store/migrate/run.ts';
import { parseMetric } from './open-store.ts';
import { CliError, EXIT_DAMAGED, keyValues, printer, progressBar } from './output.ts';

/**
 * rvf migrate <source> <dest.rvf> [--dry-run] [--verify]: rvlite's saved
 * state (both JSON shapes, the RVF1 envelope), an rvf-wasm byte export, a
 * native store (with its .idmap.json), or JSON/JSONL/CSV vector files,
 * detected by content. A failed --verify exits 2.
 */
export function registerMigrateCommand(program: Command, json: () => boolean): void {
  program
    .command('migrate <source> <dest>')
    .description('bring an rvlite state file, an rvf-wasm export, a native store or a vector file into a store; rerunning is a no-op')
    .option('--dry-run', 'report what would be written, and write nothing')
    .option('--verify', 'check counts and, for sample queries, that the top 10 ids and distances match the source within 1e-6')
    .option('--metric <metric>', 'cosine, l2 or dotproduct, for sources that record none (engine exports, native stores)')
    .action(async (source: string, dest: string, o: { dryRun?: boolean; verify?: boolean; metric?: string }) => {
      const metric = parseMetric(o.metric);
      const bar = progressBar(o.dryRun ? 'checking' : 'migrating', json());
      const report = await migrate(resolve(source), resolve(dest), {
        dryRun: o.dryRun === true,
        verify: o.verify === true,
        ...(metric ? { metric } : {}),
        onProgress: (done, total) => bar.update(done, total),
      });
      bar.finish();
      const p = printer(json());
      p.result(report, () => {
        const verb = report.alreadyMigrated ? 'already migrated (nothing written)' : o.dryRun ? 'would write (dry run, nothing written)' : `migrated at epoch ${report.epoch ?? '-'}`;
        return [
          `${source} (${report.sourceKind}) → ${dest}: ${verb}`,
          keyValues({
            vectors: report.vectors,
            'ids mapped to u64': report.idsMapped,
            nodes: report.nodes,
            relationships: report.relationships,
            quads: report.quads,
            dimension: report.dimensions,
            metric: report.metric,
            ...(report.verify ? { verified: `${report.verify.checked} checks, ${report.verify.mismatches.length} mismatches` } : {}),
          }),
          ...report.skipped.map((s) => `skipped: ${s}`),
          ...(report.verify?.mismatches ?? []).slice(0, 10).map((m) => `mismatch: ${m}`),
        ].join('\n');
      });
      if (report.verify && report.verify.mismatches.length > 0) {
        throw new CliError(`--verify found ${report.verify.mismatches.length} mismatches between ${source} and ${dest}; the first: ${report.verify.mismatches[0]}`, EXIT_DAMAGED);
      }
    });
}
