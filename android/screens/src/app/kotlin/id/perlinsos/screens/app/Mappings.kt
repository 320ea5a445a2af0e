// From the view-models' states to the shared screens' state classes. Pure functions, no
// android.* and no Compose: the Android shell and the JVM walk test compile the same file.
// This folder (src/app) depends on ../viewmodels and the bindings; src/main (the screens)
// depends on neither.
package id.perlinsos.screens.app

import id.perlinsos.screens.Bank
import id.perlinsos.screens.CertificateProblem
import id.perlinsos.screens.ChoiceOption
import id.perlinsos.screens.Eligibility
import id.perlinsos.screens.EnrollmentScreenState
import id.perlinsos.screens.EnrollmentStage
import id.perlinsos.screens.FamilyRow
import id.perlinsos.screens.FamilyState
import id.perlinsos.screens.FieldError
import id.perlinsos.screens.IkdStatus
import id.perlinsos.screens.LockReason
import id.perlinsos.screens.MemberChange
import id.perlinsos.screens.MemberRow
import id.perlinsos.screens.ObjectionKind
import id.perlinsos.screens.ObjectionState
import id.perlinsos.screens.ParkedRow
import id.perlinsos.screens.PhotoRow
import id.perlinsos.screens.ContributionRow
import id.perlinsos.screens.PmtPreviewScreenState
import id.perlinsos.screens.PmtQuestionKind
import id.perlinsos.screens.PmtQuestionRow
import id.perlinsos.screens.PmtQuestionnaireState
import id.perlinsos.screens.ReceiptState
import id.perlinsos.screens.ResultState
import id.perlinsos.screens.Strings
import id.perlinsos.screens.SyncScreenState
import id.perlinsos.screens.UnlockScreenState
import id.perlinsos.screens.VisitOutcome
import id.perlinsos.screens.VisitStatus
import id.perlinsos.screens.VisitWizardState
import id.perlinsos.screens.WizardFields
import id.perlinsos.screens.WizardMember
import id.perlinsos.screens.WizardStep
import id.perlinsos.screens.WorklistState
import id.perlinsos.viewmodels.EnrollmentForm
import id.perlinsos.viewmodels.EnrollmentState
import id.perlinsos.viewmodels.EnrollmentStep
import id.perlinsos.viewmodels.ErrorCode
import id.perlinsos.viewmodels.FieldErrors
import id.perlinsos.viewmodels.LockCause
import id.perlinsos.viewmodels.PmtQuestionnaire
import id.perlinsos.viewmodels.PreviewSummary
import id.perlinsos.viewmodels.Problem
import id.perlinsos.viewmodels.ResultUiState
import id.perlinsos.viewmodels.RtRw
import id.perlinsos.viewmodels.SyncState
import id.perlinsos.viewmodels.UnlockState
import id.perlinsos.viewmodels.VisitStep
import id.perlinsos.viewmodels.VisitUiState
import id.perlinsos.viewmodels.WorklistUiState
import java.time.Instant
import java.time.LocalDate
import java.time.Period
import java.time.ZoneId
import uniffi.perlinsos_ffi.FamilyDetail
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.ReceiptView
import uniffi.perlinsos_ffi.VisitView

// ---- Shared pieces ----

/** "15 Januari 2027" in the phone's time zone. */
fun formatDate(ms: Long, zone: ZoneId = ZoneId.systemDefault()): String {
    val d = Instant.ofEpochMilli(ms).atZone(zone).toLocalDate()
    return "${d.dayOfMonth} ${Strings.months[d.monthValue - 1]} ${d.year}"
}

/** "15 Januari 2027 09.30". */
fun formatDateTime(ms: Long, zone: ZoneId = ZoneId.systemDefault()): String {
    val t = Instant.ofEpochMilli(ms).atZone(zone)
    return formatDate(ms, zone) + " %02d.%02d".format(t.hour, t.minute)
}

/** "5271••••••••0004": what the screens show of a NIK or KK. */
fun mask(number: String): String = if (number.length < 8) "••••" else number.take(4) + "•".repeat(number.length - 8) + number.takeLast(4)

fun Problem.toFieldError(field: String = this.field) = FieldError(field, message, code)

fun FieldErrors.toFieldErrors(rename: (String) -> String = { it }): List<FieldError> = problems.map { it.toFieldError(rename(it.field)) }

/** The view-model's problem on the card on top (none when it is already on a field). */
private fun topProblem(problem: Problem?, errors: List<FieldError>): List<FieldError> =
    if (problem == null || errors.any { it.field == problem.field && it.message == problem.message }) emptyList()
    else listOf(FieldError("", problem.message, problem.code))

fun visitStatusOf(status: String): VisitStatus = when (status) {
    "dikunjungi" -> VisitStatus.VISITED
    "kunjungi_ulang" -> VisitStatus.REVISIT
    else -> VisitStatus.NOT_VISITED
}

fun VisitStatus.wire(): String = when (this) {
    VisitStatus.NOT_VISITED -> "belum_dikunjungi"
    VisitStatus.VISITED -> "dikunjungi"
    VisitStatus.REVISIT -> "kunjungi_ulang"
}

fun RtRw.label(): String = Strings.rtRwShort(rt, rw)

fun rtRwOf(label: String?): RtRw? = label?.split("/")?.takeIf { it.size == 2 }?.let { RtRw(it[0].toInt(), it[1].toInt()) }

// ---- Enrollment and the PIN ----

fun EnrollmentState.toScreen(form: EnrollmentForm): EnrollmentScreenState {
    val errors = fieldErrors.toFieldErrors()
    return EnrollmentScreenState(
        stage = when (step) {
            EnrollmentStep.AGENT -> EnrollmentStage.AGENT
            EnrollmentStep.DISTRICT -> EnrollmentStage.DISTRICT
            EnrollmentStep.DONE -> EnrollmentStage.DONE
        },
        agentId = form.agentId, pin = form.pin, pinRepeat = form.pinRepeat, recoveryHex = form.recoveryHex,
        ticket = form.enrollCode,
        enrolledAgentId = district?.agentId ?: agentId,
        districtUnreachable = districtUnreachable,
        districtScope = district?.scope.orEmpty(),
        fieldErrors = errors + topProblem(problem, errors),
        busy = busy,
    )
}

fun LockCause.toScreen(): LockReason = when (this) {
    LockCause.Idle, LockCause.Manual -> LockReason.IDLE
    LockCause.HandBack -> LockReason.HAND_BACK
    LockCause.Start -> LockReason.START
}

fun UnlockState.toScreen(agentId: String, pin: String, cause: LockCause, canSwitchAgent: Boolean = false): UnlockScreenState = when (this) {
    is UnlockState.Waiting -> UnlockScreenState(agentId, pin, reason = this.cause.toScreen(), canSwitchAgent = canSwitchAgent)
    UnlockState.Checking -> UnlockScreenState(agentId, pin, busy = true, reason = cause.toScreen(), canSwitchAgent = canSwitchAgent)
    is UnlockState.Refused -> UnlockScreenState(
        agentId, pin, error = message, attemptsLeft = attemptsLeft.takeIf { it >= 0 },
        retryAt = retryAtMs?.takeIf { it > System.currentTimeMillis() }?.let(::formatDateTime),
        reason = cause.toScreen(), canSwitchAgent = canSwitchAgent,
    )
    is UnlockState.Unlocked -> UnlockScreenState(agentId, pin, busy = true, reason = cause.toScreen())
    is UnlockState.Failed -> UnlockScreenState(agentId, pin, error = problem.message, reason = cause.toScreen(), canSwitchAgent = canSwitchAgent)
}

// ---- The worklist and one family ----

fun WorklistUiState.toScreen(offline: Boolean = false, lastSync: String? = null): WorklistState = WorklistState(
    query = query,
    families = families.map { FamilyRow(it.familyId, it.headName, it.rt.toInt(), it.rw.toInt(), it.members.toInt(), visitStatusOf(it.status)) },
    totalCount = total,
    rtRwOptions = rtRwOptions.map { it.label() },
    rtRw = rtRw?.label(),
    status = status?.let(::visitStatusOf),
    offline = offline,
    lastSync = lastSync,
    queryErrors = problem?.let { listOf(it.toFieldError("query")) }.orEmpty(),
    loading = loading,
)

fun age(birthDate: String, today: LocalDate = LocalDate.now()): Int? =
    runCatching { Period.between(LocalDate.parse(birthDate), today).years }.getOrNull()

fun FamilyDetail.toScreen(lastVisit: VisitView?, offline: Boolean = false): FamilyState = FamilyState(
    familyId = family.familyId,
    headName = family.headName,
    maskedKk = mask(kk),
    address = address,
    rt = family.rt.toInt(),
    rw = family.rw.toInt(),
    status = visitStatusOf(family.status),
    members = members.mapIndexed { i, m -> MemberRow(i.toString(), m.name, m.relationLabel, mask(m.nik), age(m.birthDate)) },
    lastVisit = lastVisit?.let { Strings.familyLastVisitLine(formatDate(it.recordedAtMs), it.status) },
    offline = offline,
)

// ---- The visit ----

/** What the wizard keeps that is not the core's draft: a choice made but not yet a saved answer. */
data class WizardLocal(
    val consentBy: String? = null,
    val noAccount: Boolean = false,
    val accountHolder: String = "",
    /** A member's change chosen and its reason being typed, by member id (index). */
    val changes: Map<String, Pair<MemberChange, String>> = emptyMap(),
    /** A PMT number as typed ("1,5", or "" after clearing), by question id: shown as typed. */
    val pmtTexts: Map<String, String> = emptyMap(),
)

private val outcomes = mapOf(
    "ditemukan" to VisitOutcome.FOUND, "pindah" to VisitOutcome.MOVED, "meninggal" to VisitOutcome.DECEASED,
    "tidak_ditemukan" to VisitOutcome.NOT_FOUND, "menolak" to VisitOutcome.REFUSED,
)
fun VisitOutcome.wire(): String = outcomes.entries.first { it.value == this }.key

private val ikds = mapOf(
    "sudah_aktif" to IkdStatus.ACTIVE, "dibantu_aktivasi" to IkdStatus.ACTIVATED_DURING_VISIT,
    "perlu_ke_dukcapil" to IkdStatus.NEEDS_DUKCAPIL, "tidak_punya_hp" to IkdStatus.NO_PHONE,
)
fun IkdStatus.wire(): String = ikds.entries.first { it.value == this }.key

private val changes = mapOf(
    "lahir" to MemberChange.BORN, "meninggal" to MemberChange.DIED, "pindah_masuk" to MemberChange.MOVED_IN,
    "pindah_keluar" to MemberChange.MOVED_OUT, "data_salah" to MemberChange.CORRECTED,
)
fun MemberChange.wire(): String? = changes.entries.firstOrNull { it.value == this }?.key

fun Bank.wire(): String = name.lowercase()
fun bankOf(id: String?): Bank? = Bank.entries.firstOrNull { it.name.equals(id, ignoreCase = true) }

fun VisitStep.toScreen(): WizardStep = WizardStep.entries[ordinal]
fun WizardStep.toVisitStep(): VisitStep = VisitStep.entries[ordinal]

fun VisitUiState.toScreen(local: WizardLocal, offline: Boolean = false): VisitWizardState {
    val d = draft
    val members = d?.members.orEmpty()
    val niks = members.map { it.member.nik }
    val corrections = d?.corrections.orEmpty()
    val wizardMembers = members.mapIndexed { i, m ->
        val id = i.toString()
        val saved = corrections.firstOrNull { it.nik == m.member.nik }
        val typed = local.changes[id]
        WizardMember(
            id = id, name = m.member.name, relation = m.member.relationLabel, maskedNik = mask(m.member.nik),
            adult = (age(m.member.birthDate) ?: 17) >= 17,
            change = typed?.first ?: saved?.let { changes[it.change] } ?: MemberChange.NONE,
            reason = typed?.second ?: saved?.reason.orEmpty(),
            nikMatchesKk = if (m.nikConfirmed) true else null,
            ikd = m.ikd?.let { ikds[it] },
        )
    }
    // The core's field names by index; corrections[j] are shown on the member they are about.
    val rename: (String) -> String = { field ->
        val c = Regex("""corrections\[(\d+)]\.(\w+)""").matchEntire(field)
        when {
            c != null -> {
                val nik = corrections.getOrNull(c.groupValues[1].toInt())?.nik
                val i = niks.indexOf(nik)
                if (i < 0) field else if (c.groupValues[2] == "reason") WizardFields.reason("$i") else WizardFields.change("$i")
            }
            field == "consent" -> WizardFields.CONSENT
            else -> field
        }
    }
    val errors = fieldErrors.toFieldErrors(rename)
    val consentIndex = d?.consentBy?.let { niks.indexOf(it) }?.takeIf { it >= 0 }?.toString()
    return VisitWizardState(
        familyHead = family?.family?.headName ?: "",
        step = step.toScreen(),
        outcome = d?.outcome?.let { outcomes[it] },
        members = wizardMembers,
        bank = bankOf(d?.bank),
        noAccount = local.noAccount,
        accountNumber = d?.accountNumber.orEmpty(),
        accountHolder = local.accountHolder,
        consentBy = local.consentBy ?: consentIndex,
        consentGiven = d?.consentBy != null,
        pmt = pmt?.toScreen(local.pmtTexts)
            ?: PmtQuestionnaireState(unavailable = pmtUnavailable?.message, loading = pmtUnavailable == null),
        fieldErrors = errors + topProblem(problem, errors),
        offline = offline,
        busy = busy,
    )
}

// ---- The PMT questionnaire and preview ----

/** "2", "1,5": a number as Indonesians write it. */
fun numberText(value: Double): String =
    if (value == Math.floor(value) && !value.isInfinite()) value.toLong().toString() else value.toString().replace('.', ',')

/** A number typed with a decimal comma or point; null when blank or not a number. */
fun numberOf(text: String): Double? = text.trim().replace(',', '.').toDoubleOrNull()

fun PmtQuestionnaire.toScreen(typed: Map<String, String> = emptyMap()): PmtQuestionnaireState = PmtQuestionnaireState(
    modelTitle = model.title,
    questions = questions.map { q ->
        val a = answers[q.id]
        PmtQuestionRow(
            id = q.id, label = q.label,
            kind = when (q.kind) {
                "count" -> PmtQuestionKind.COUNT
                "number" -> PmtQuestionKind.NUMBER
                "yes_no" -> PmtQuestionKind.YES_NO
                else -> PmtQuestionKind.CHOICE
            },
            options = q.options.map { ChoiceOption(it.id, it.label) },
            min = q.min?.let(::numberText), max = q.max?.let(::numberText),
            required = q.required, help = q.help,
            answer = typed[q.id] ?: when (a) {
                is PmtAnswer.Choice -> a.option
                is PmtAnswer.YesNo -> if (a.value) "yes" else "no"
                is PmtAnswer.Number -> numberText(a.value)
                null -> null
            },
            fromDtsen = q.id in fromDtsen,
        )
    },
    savedResult = preview?.resultText(),
    edited = edited,
)

/** The preview's result in a few words: "Desil 2 dari 10" or "41 poin". */
fun PreviewSummary.resultText(): String? =
    desil?.let(Strings::pmtDesilValue) ?: score?.let(Strings::pmtPoints) ?: estimateText

fun PreviewSummary.toScreen(familyHead: String?, modelTitle: String?): PmtPreviewScreenState = PmtPreviewScreenState(
    familyHead = familyHead,
    modelTitle = modelTitle,
    illustrative = illustrative,
    estimateText = estimateText,
    desil = desil,
    probabilityDesil1to4 = probabilityDesil1to4?.let { "${Math.round(it * 100)}%" },
    scoreText = score?.let(Strings::pmtPoints),
    contributions = contributions.map { ContributionRow(it.question, it.answer, it.effectText, it.effect) },
    explanation = explanation,
)

fun ReceiptView.toScreen(familyHead: String, pending: Boolean = true): ReceiptState =
    ReceiptState(code = code, familyHead = familyHead, savedAt = formatDateTime(atMs), qrPayload = payload, pending = pending)

// ---- The result and the objection ----

fun ResultUiState.toResultScreen(offline: Boolean = false): ResultState {
    val r = result
    return ResultState(
        familyHead = family?.family?.headName ?: "",
        eligibility = r?.let { if (it.eligible) Eligibility.LAYAK else Eligibility.TIDAK_LAYAK },
        desil = r?.desil?.toInt(),
        programme = r?.programmes?.joinToString(", ")?.ifEmpty { null },
        // The district's reasons; the core's plain-Indonesian explanation when it gave none.
        reasons = r?.let { it.reasons.ifEmpty { it.explanation } }.orEmpty(),
        objectionDeadline = r?.let { formatDate(it.objectionDeadlineMs) },
        deadlinePassed = r != null && !r.objectionOpen,
        offline = offline,
    )
}

fun ResultUiState.toObjectionScreen(): ObjectionState {
    val errors = fieldErrors.toFieldErrors()
    val head = family?.family?.headName ?: ""
    return ObjectionState(
        kind = ObjectionKind.OWN_RESULT,
        subject = head,
        reasons = if (reasons.isEmpty()) Strings.ownReasons else reasons.map { ChoiceOption(it.id, it.label) },
        reason = reason,
        statement = statement,
        photos = photos.map { PhotoRow(it.index, it.shows == "rumah", it.hasLocation, (it.sizeBytes + 1023) / 1024) },
        deadline = result?.let { formatDate(it.objectionDeadlineMs) },
        fieldErrors = errors + topProblem(problem, errors),
        busy = busy,
    )
}

// ---- Sync ----

private fun kb(bytes: Long): String = if (bytes >= 1_000_000) "%.1f MB".format(bytes / 1_000_000.0).replace('.', ',') else "${bytes / 1000} kB"

fun SyncState.toScreen(): SyncScreenState = SyncScreenState(
    running = running,
    entriesDone = entriesDone,
    entriesTotal = entriesDone + entriesPending,
    sentText = if (totalBytes > 0) kb(sentBytes) else null,
    totalText = if (totalBytes > 0) kb(totalBytes) else null,
    progress = if (totalBytes > 0) sentBytes.toFloat() / totalBytes else null,
    pending = pending.toInt(),
    parked = parked.map { ParkedRow(it.recordId, it.kind, it.kind, it.reason, "") },
    lastSync = lastSyncAtMs?.let(::formatDateTime),
    offline = problem?.kind == ErrorCode.Offline,
    message = message,
    certificate = when (problem?.kind) {
        ErrorCode.ServerCertMismatch -> CertificateProblem.MISMATCH
        ErrorCode.ServerCertUntrusted -> CertificateProblem.UNTRUSTED
        else -> null
    },
)
