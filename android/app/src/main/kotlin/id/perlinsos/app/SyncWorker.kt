// Background sync: a WorkManager worker that carries out BackgroundSyncPolicy's decisions
// (android/viewmodels, tested on the JVM) and decides nothing itself. It syncs with every agent
// locked (the queue is sealed already; only the device key signs), on a connected network,
// in the foreground with a notification while photos go up, and schedules its own next run:
// after the server's retryAfterMs or the policy's jittered backoff (WorkManager's own backoff
// cannot honour a server's time), or not at all when the agent must act (the code is kept in
// the work's output for the sync screen). Not compiled here: no Android SDK on these machines.
package id.perlinsos.app

import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.content.pm.ServiceInfo
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.ForegroundInfo
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import id.perlinsos.viewmodels.BackgroundSyncPolicy
import id.perlinsos.viewmodels.SyncDecision
import id.perlinsos.viewmodels.SyncOutcome
import id.perlinsos.viewmodels.SyncWork
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val phone = (applicationContext as PerlinsosApp).graph.readyPhone() ?: return Result.retry()
        val policy = BackgroundSyncPolicy()
        val attempt = inputData.getInt(ATTEMPT, 0)
        val plan = policy.plan(withContext(Dispatchers.IO) { phone.outbox() })
        if (plan !is SyncDecision.Run) return Result.success()
        if (plan.work.foreground) setForeground(foregroundInfo())
        val outcome = try {
            val report = phone.syncInBackground(MAX_PASSES, null)
            SyncOutcome.Completed(report, withContext(Dispatchers.IO) { phone.outbox() })
        } catch (e: CancellationException) {
            throw e // WorkManager stopped us: the core's sync is transactional, nothing is half-done
        } catch (e: Exception) {
            SyncOutcome.of(e) ?: throw e
        }
        return when (val next = policy.after(attempt, outcome)) {
            SyncDecision.Done -> Result.success()
            is SyncDecision.Run -> {
                schedule(applicationContext, next.work, delayMs = 0, attempt = 0)
                Result.success()
            }
            is SyncDecision.Retry -> {
                schedule(applicationContext, next.work, next.delayMs, next.attempt)
                Result.success()
            }
            is SyncDecision.Stop -> Result.failure(workDataOf(STOP_CODE to next.code))
        }
    }

    override suspend fun getForegroundInfo(): ForegroundInfo = foregroundInfo()

    private fun foregroundInfo(): ForegroundInfo {
        val manager = applicationContext.getSystemService(NotificationManager::class.java)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
            manager.createNotificationChannel(
                NotificationChannel(CHANNEL, "Pengiriman data", NotificationManager.IMPORTANCE_LOW),
            )
        }
        val notification = NotificationCompat.Builder(applicationContext, CHANNEL)
            .setSmallIcon(android.R.drawable.stat_sys_upload)
            .setContentTitle("Mengirim foto bukti ke dinas")
            .setOngoing(true)
            .build()
        return if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            ForegroundInfo(NOTIFICATION_ID, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC)
        } else {
            ForegroundInfo(NOTIFICATION_ID, notification)
        }
    }

    companion object {
        private const val UNIQUE = "perlinsos-sync"
        private const val ATTEMPT = "attempt"
        const val STOP_CODE = "stop_code"
        private const val CHANNEL = "sync"
        private const val NOTIFICATION_ID = 52
        private val MAX_PASSES = 5u

        /** Something was queued: sync when a network is there (keeps a run already waiting). */
        fun request(context: Context) = enqueue(context, SyncWork(), 0, 0, ExistingWorkPolicy.KEEP)

        private fun schedule(context: Context, work: SyncWork, delayMs: Long, attempt: Int) =
            enqueue(context, work, delayMs, attempt, ExistingWorkPolicy.APPEND_OR_REPLACE)

        private fun enqueue(context: Context, work: SyncWork, delayMs: Long, attempt: Int, policy: ExistingWorkPolicy) {
            val constraints = Constraints.Builder()
                .setRequiredNetworkType(if (work.needsNetwork) NetworkType.CONNECTED else NetworkType.NOT_REQUIRED)
                .build()
            val request = OneTimeWorkRequestBuilder<SyncWorker>()
                .setConstraints(constraints)
                .setInitialDelay(delayMs, TimeUnit.MILLISECONDS)
                .setInputData(workDataOf(ATTEMPT to attempt))
                .build()
            WorkManager.getInstance(context).enqueueUniqueWork(UNIQUE, policy, request)
        }
    }
}
